package logagent

import (
	"errors"
	"slices"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// batch is one partition's records in one Kafka record batch (v2). A failed
// batch is re-sent as is — same records, same sequence numbers — so the
// broker (idempotent or not) sees the same batch again and nothing after it.
type batch struct {
	q        *partQueue
	recs     []*record
	bytes    int // wire bytes of recs, before compression
	rb       *sarama.RecordBatch
	attempts int
	// firstFail is when the first attempt failed: how long an error
	// lasted decides whether an unknown topic is an operator's problem.
	firstFail time.Time
	gen       int // idempotent producer generation it was stamped with
}

func newBatch(p *producer, q *partQueue, recs []*record) *batch {
	first := recs[0].sent.Truncate(time.Millisecond)
	rb := &sarama.RecordBatch{
		Version: 2, Codec: p.cfg.Producer.Compression, CompressionLevel: p.cfg.Producer.CompressionLevel,
		FirstTimestamp: first, MaxTimestamp: first, LastOffsetDelta: int32(len(recs) - 1),
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		Records: make([]*sarama.Record, len(recs)),
	}
	bytes := 0
	for i, r := range recs {
		bytes += r.wire
		ts := r.sent.Truncate(time.Millisecond)
		r.rec.OffsetDelta = int64(i)
		r.rec.TimestampDelta = ts.Sub(first)
		if ts.After(rb.MaxTimestamp) {
			rb.MaxTimestamp = ts
		}
		rb.Records[i] = &r.rec
	}
	return &batch{q: q, recs: recs, bytes: bytes, rb: rb}
}

// acked finishes an acknowledged batch: each file's run of records advances
// its tracker once, the bytes return to the budget at once, and the records
// go back to the pool.
func (b *batch) acked(p *producer) {
	now := time.Now() // one clock read for every record's latency
	for i := 0; i < len(b.recs); {
		r := b.recs[i]
		vbytes := len(r.value())
		j := i + 1
		for ; j < len(b.recs) && b.recs[j].tr == r.tr && b.recs[j].seq == b.recs[j-1].seq+1; j++ {
			vbytes += len(b.recs[j].value())
		}
		last := b.recs[j-1]
		r.tr.AckRun(r.seq, last.seq, last.end)
		r.tm.acked.Add(float64(j - i))
		r.tm.bytesAcked.Add(float64(vbytes))
		i = j
	}
	linkRuns(b.recs, func(l *taskLink, run []*record) {
		var n int64
		for _, r := range run {
			n += r.size
		}
		l.share.bytes.Release(n)
		l.health.ok()
	})
	var size int64
	for _, r := range b.recs {
		size += r.size
		p.metrics.ProduceLatency.Observe(now.Sub(r.sent).Seconds())
		r.release()
	}
	b.q.done(b, false, time.Time{})
	p.budget.Release(size)
}

// failed schedules the batch's retry after a backoff (slow for errors only
// an operator fixes), counts its records as failed, and reports the sorted
// error to the tasks of its records: their Condition logs it once per
// interval, not once per batch.
func (b *batch) failed(p *producer, err error) {
	if b.attempts == 0 {
		b.firstFail = time.Now()
	}
	b.attempts++
	kt := classifyKafka(b.q.topic, err, time.Since(b.firstFail))
	reason := "unavailable" // retriable
	if kt.state == conf.StateFailing {
		reason = "refused" // until an operator acts
	}
	p.countFailed(b.recs, reason)
	b.report(kt)
	b.q.done(b, true, time.Now().Add(p.retryAfter(kt, b.attempts-1)))
}

// report tells each task with records in the batch about kt, once, and
// each task whose records wait in the partition's queue behind it: a
// partition sends nothing past a failing batch, so those cannot ship
// either, and the batch is retried as it is, so they would never be told.
func (b *batch) report(kt kafkaTrouble) {
	var told []*taskLink
	tell := func(l *taskLink, _ []*record) {
		if !slices.Contains(told, l) {
			told = append(told, l)
		}
	}
	linkRuns(b.recs, tell)
	b.q.mu.Lock()
	linkRuns(b.q.recs, tell)
	b.q.mu.Unlock()
	for _, l := range told {
		l.health.trouble(kt)
	}
}

// tooLarge handles a batch the broker found too large: several records go
// back to be sent one per batch; a single record is cut to half its value,
// flagged lp.truncated, and re-sent after a backoff — the line ships cut
// rather than blocking its file forever, and its task reports failing until
// it does.
func (b *batch) tooLarge(p *producer) {
	p.countFailed(b.recs, "too_large")
	if len(b.recs) > 1 {
		b.q.requeue(b.recs)
		return
	}
	kt := tooLargeTrouble(b.q.topic)
	b.report(kt)
	r := b.recs[0]
	v := r.value()
	r.markTruncated(capUTF8(v, min(len(v)/2, p.maxValue)))
	nb := newBatch(p, b.q, b.recs)
	nb.attempts = b.attempts + 1
	b.q.done(nb, true, time.Now().Add(p.retryAfter(kt, nb.attempts-1)))
}

// countFailed adds recs to logagent_lines_failed_total, by task.
func (p *producer) countFailed(recs []*record, reason string) {
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].tm == recs[i].tm {
			j++
		}
		p.metrics.Failed.WithLabelValues(recs[i].tm.task, reason).Add(float64(j - i))
		i = j
	}
}

// blockErr is a partition's result in a produce response.
func blockErr(resp *sarama.ProduceResponse, q *partQueue) error {
	if resp == nil { // acks = 0: no response, nothing to check
		return nil
	}
	blk := resp.GetBlock(q.topic, q.id)
	switch {
	case blk == nil:
		return sarama.ErrIncompleteResponse
	case blk.Err == sarama.ErrNoError, blk.Err == sarama.ErrDuplicateSequenceNumber:
		// A duplicate is a retry of a batch the broker already has.
		return nil
	}
	return blk.Err
}

// isSequenceErr reports an idempotent producer state the broker lost or
// refuses: the producer needs a new id and sequence numbers from 0.
func isSequenceErr(err error) bool {
	return errors.Is(err, sarama.ErrOutOfOrderSequenceNumber) || errors.Is(err, sarama.ErrUnknownProducerID) ||
		errors.Is(err, sarama.ErrInvalidProducerEpoch)
}
