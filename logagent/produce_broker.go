package logagent

import (
	"time"

	"github.com/IBM/sarama"
)

// brokerLoop sends the batches of the partitions one broker leads, one
// produce request at a time (as sarama's MaxOpenRequests = 1 did): a request
// carries the next batch of every partition of the broker with records
// waiting, as soon as one of them is due (full, or its linger passed, or its
// retry backoff), up to requestBytes. Asleep, it costs nothing: it waits for
// a poke or for the earliest due time.
type brokerLoop struct {
	p    *producer
	id   int32
	wake chan struct{}
	// qs is the loop's partitions of the current collect (reused); start
	// is where in them the next collect begins: after a full request, with
	// the first partition it left out, so that none waits behind the same
	// others every time.
	qs    []*partQueue
	start int
}

func newBrokerLoop(p *producer, id int32) *brokerLoop {
	return &brokerLoop{p: p, id: id, wake: make(chan struct{}, 1)}
}

// poke wakes the loop; it never blocks.
func (l *brokerLoop) poke() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *brokerLoop) run() {
	defer l.p.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-l.p.stopped:
			return
		default:
		}
		batches, next := l.collect()
		if len(batches) > 0 {
			l.produce(batches)
			continue
		}
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-l.wake:
		case <-tick:
		case <-l.p.stopped:
			return
		}
		timer.Stop()
	}
}

// collect takes the due batches of the loop's partitions, with the next
// batch of every other partition with records waiting: they share the
// request. Without any due, it returns when the next will be.
//
// A request takes batches only while it holds less than requestBytes: its
// bytes are in memory twice more while it is sent (sarama encodes the
// records, then the request), so with many partitions due at once — every
// file is read on the same tick (readtick.go) — an uncapped request held
// all their batches at once (make bench, peak RSS at 35,000 lines/s over
// eight files 38.4 / 33.8 → 29.4 / 31.3 MB, over twenty 42.4 / 42.2 →
// 38.3 / 37.9; CPU within the noise). The partitions left out go first in
// the next request, which follows at once.
func (l *brokerLoop) collect() ([]*batch, time.Time) {
	now := time.Now()
	qs := l.mine()
	var out []*batch
	var next time.Time
	var lingering []*partQueue
	bytes := 0
	for i := range qs {
		if bytes >= l.p.requestBytes {
			l.start = (l.start + i) % len(qs)
			break
		}
		q := qs[(l.start+i)%len(qs)]
		b, due, waits := q.take(l.p, now, false)
		switch {
		case b != nil:
			out = append(out, b)
			bytes += b.bytes
		case waits:
			lingering = append(lingering, q)
		}
		if !due.IsZero() && (next.IsZero() || due.Before(next)) {
			next = due
		}
	}
	if len(out) == 0 {
		return nil, next
	}
	for _, q := range lingering {
		if bytes >= l.p.requestBytes {
			break
		}
		if b, _, _ := q.take(l.p, now, true); b != nil {
			out = append(out, b)
			bytes += b.bytes
		}
	}
	return out, time.Time{}
}

// mine lists the partitions the loop leads, in the producer's topic order.
func (l *brokerLoop) mine() []*partQueue {
	l.qs = l.qs[:0]
	for _, ts := range l.p.topicList() {
		for _, q := range *ts.parts.Load() {
			if q.leader.Load() == l {
				l.qs = append(l.qs, q)
			}
		}
	}
	return l.qs
}

// produce sends batches in one request and settles each by its partition's
// result: acked, retried after a backoff, or cut (too large).
func (l *brokerLoop) produce(batches []*batch) {
	p := l.p
	b, err := p.client.Broker(l.id)
	var resp *sarama.ProduceResponse
	if err == nil {
		req := &sarama.ProduceRequest{
			RequiredAcks: p.cfg.Producer.RequiredAcks,
			Timeout:      int32(p.cfg.Producer.Timeout / time.Millisecond),
			Version:      p.version,
		}
		for _, bt := range batches {
			req.AddBatch(bt.q.topic, bt.q.id, bt.rb)
		}
		if resp, err = b.Produce(req); err != nil {
			// The connection is in an unknown state: the next request
			// opens a fresh one.
			_ = b.Close()
		}
	}
	refresh := false
	for _, bt := range batches {
		berr := err
		if berr == nil {
			berr = blockErr(resp, bt.q)
		}
		switch {
		case berr == nil:
			bt.acked(p)
		case berr == sarama.ErrMessageSizeTooLarge:
			bt.tooLarge(p)
		default:
			if isSequenceErr(berr) && p.idem != nil {
				p.idem.reset(p.log, bt.gen)
			}
			refresh = true
			bt.failed(p, berr)
		}
	}
	for _, bt := range batches {
		// The partition may have moved to another broker while this batch
		// was in flight: that broker's loop skipped it, and must look again.
		if nl := bt.q.leader.Load(); nl != nil && nl != l {
			nl.poke()
		}
	}
	if refresh {
		p.wantRefresh()
	}
}
