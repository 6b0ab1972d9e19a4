package logagent

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// grow makes sure ts has n partitions and returns them.
func (ts *topicState) grow(n int) []*partQueue {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	parts := *ts.parts.Load()
	if len(parts) >= n {
		return parts
	}
	grown := make([]*partQueue, n)
	copy(grown, parts)
	for i := len(parts); i < n; i++ {
		grown[i] = &partQueue{topic: ts.name, id: int32(i)}
	}
	ts.parts.Store(&grown)
	return grown
}

// partitionCache is a file's partition for a partition count.
type partitionCache struct{ n, i int32 }

// partition is the queue of rb's file: sarama's hash partitioner on the
// record key (the file id), as sarama's AsyncProducer chose it, so a file
// keeps its partition across agent versions.
func (ts *topicState) partition(rb *recordBuilder) *partQueue {
	parts := *ts.parts.Load()
	if n := int32(len(parts)); rb.part.n != n {
		msg := &sarama.ProducerMessage{Topic: ts.name, Key: sarama.ByteEncoder(rb.key)}
		i, _ := sarama.NewHashPartitioner(ts.name).Partition(msg, n)
		rb.part = partitionCache{n: n, i: i}
	}
	return parts[rb.part.i]
}

// partQueue holds one partition's records waiting to be batched and its
// batch in flight, if any. Records leave in the order they came: the next
// batch is cut only after the previous one is acknowledged.
type partQueue struct {
	topic  string
	id     int32
	leader atomic.Pointer[brokerLoop] // nil while the partition has no known leader

	mu    sync.Mutex
	recs  []*record // waiting, oldest first
	bytes int       // wire bytes of recs
	since time.Time // when recs[0] was read: the linger starts there
	// flush: a harvester said its file has nothing more for now (flush);
	// the records waiting go out without their linger.
	flush bool
	space chan struct{} // closed when a batch is cut; nil while no sender waits
	busy  bool          // a batch of this partition is in flight
	retry *batch        // a failed batch, re-sent at retryAt before anything else
	at    time.Time     // retryAt
	// singles counts records at the head of recs to send one per batch: a
	// batch of them was too large for the broker.
	singles int
	// seq and gen are the idempotent producer's next sequence number and
	// the producer id generation it belongs to.
	seq int32
	gen int
}

// enqueue appends r, waking the leader's loop when the queue becomes
// non-empty (the linger starts) or a batch becomes full. While the queue
// holds queueBytes it waits for the loop to cut a batch, or for ctx or the
// producer's close: beyond what keeps the broker busy, queued records would
// be memory held for nothing (the budget still bounds the total, but at
// full speed it would then stay full).
func (q *partQueue) enqueue(ctx context.Context, p *producer, r *record) error {
	for {
		space := q.tryEnqueue(p, r)
		if space == nil {
			return nil
		}
		if err := p.waitSpace(ctx, space); err != nil {
			return err
		}
	}
}

// tryEnqueue is enqueue without the wait: it appends r and returns nil, or,
// while the queue holds queueBytes, appends nothing and returns a channel
// closed when the loop cuts a batch. A harvester gives back its read slot
// before it waits on that (harvestwait.go).
func (q *partQueue) tryEnqueue(p *producer, r *record) <-chan struct{} {
	q.mu.Lock()
	if q.bytes >= p.queueBytes {
		if q.space == nil {
			q.space = make(chan struct{})
		}
		space := q.space
		q.mu.Unlock()
		return space
	}
	q.recs = append(q.recs, r)
	q.bytes += r.wire
	first := len(q.recs) == 1
	if first {
		q.since = r.sent
	}
	full := q.bytes >= p.batchBytes && q.bytes-r.wire < p.batchBytes
	q.mu.Unlock()
	if first || full {
		if l := q.leader.Load(); l != nil {
			l.poke()
		} else {
			p.wantRefresh()
		}
	}
	return nil
}

// waitSpace waits until space (from tryEnqueue) is closed, ctx ends or the
// producer closes.
func (p *producer) waitSpace(ctx context.Context, space <-chan struct{}) error {
	select {
	case <-space:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closing:
		return errProducerClosed
	}
}

// markFlush ends the linger of the records waiting, if any, and reports
// whether there are.
func (q *partQueue) markFlush() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.flush = len(q.recs) > 0
	return q.flush
}

// hasWork reports whether records wait or a batch is to be retried.
func (q *partQueue) hasWork() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.recs) > 0 || q.retry != nil
}

// take hands out the partition's next batch if it is due at now (or, with
// force, whenever records wait), marking the partition busy. Otherwise it
// returns when it will be due (zero: not before something changes) and
// whether records wait for their linger.
func (q *partQueue) take(p *producer, now time.Time, force bool) (b *batch, due time.Time, lingering bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy {
		return nil, time.Time{}, false
	}
	if q.retry != nil {
		if now.Before(q.at) {
			return nil, q.at, false
		}
		b, q.retry = q.retry, nil
	} else {
		if len(q.recs) == 0 {
			return nil, time.Time{}, false
		}
		if !force && !q.flush && q.singles == 0 && q.bytes < p.batchBytes && now.Sub(q.since) < p.linger {
			return nil, q.since.Add(p.linger), true
		}
		b = q.cut(p)
	}
	q.busy = true
	if p.idem != nil {
		p.idem.stamp(q, b)
	}
	return b, time.Time{}, false
}

// cut takes the next batch off the head of recs, up to the partition's batch
// size (at least one record; one only while singles remain).
func (q *partQueue) cut(p *producer) *batch {
	n, bytes := 1, q.recs[0].wire
	if q.singles > 0 {
		q.singles--
	} else {
		for n < len(q.recs) && bytes+q.recs[n].wire <= p.batchBytes {
			bytes += q.recs[n].wire
			n++
		}
	}
	recs := make([]*record, n)
	copy(recs, q.recs)
	rest := copy(q.recs, q.recs[n:])
	clear(q.recs[rest:])
	q.recs = q.recs[:rest]
	q.bytes -= bytes
	if rest > 0 {
		q.since = q.recs[0].sent
	} else {
		q.flush = false
	}
	if q.space != nil {
		close(q.space)
		q.space = nil
	}
	return newBatch(p, q, recs)
}

// done ends the partition's batch in flight: acknowledged, it advances the
// idempotent sequence; failed, it is retried at retryAt.
func (q *partQueue) done(b *batch, failed bool, retryAt time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy = false
	if failed {
		q.retry, q.at = b, retryAt
		return
	}
	if b.gen == q.gen {
		q.seq += int32(len(b.recs))
		if q.seq < 0 { // Kafka's sequence numbers wrap to 0
			q.seq &= 0x7fffffff
		}
	}
}

// requeue puts a failed batch's records back at the head of the queue, to go
// out one per batch.
func (q *partQueue) requeue(recs []*record) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.busy = false
	q.recs = append(recs, q.recs...)
	for _, r := range recs {
		q.bytes += r.wire
	}
	q.since = recs[0].sent
	q.singles = len(recs)
}
