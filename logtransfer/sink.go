package logtransfer

import (
	"context"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/flow"
)

// sink is the path every consumed record takes, shared by the daemon and
// replay: build the document, take its bytes from the budget, hand it to the
// indexer, dead-letter it if Elasticsearch refuses it, and call the caller's
// ack once the record is done.
//
// Contract: submit blocks while the budget is spent or the indexer is busy
// (consumption pauses) and returns ctx.Err() if ctx ends first; the record is
// then not in flight and ack is never called. Otherwise ack is called exactly
// once, from another goroutine, with created, duplicate or rejected (the
// latter only after the dead letter is in Kafka) — or never, if the sink's
// own context (the shutdown deadline) ends first.
type sink struct {
	ctx     context.Context // outlives consumption; ends at the shutdown deadline
	ix      *indexer
	dlq     *deadLetters
	budget  *flow.Budget
	metrics *Metrics
}

// recordOverhead approximates what a record costs in memory beyond its
// value and document body (headers, message and item structs).
const recordOverhead = 256

func (s *sink) submit(ctx context.Context, route string, b *docBuilder, m *sarama.ConsumerMessage, ack func(outcome)) error {
	d := b.build(m)
	size := int64(len(d.Body) + len(m.Value) + len(m.Key) + recordOverhead)
	if err := s.budget.Acquire(ctx, size); err != nil {
		return err
	}
	finish := func(o outcome) {
		s.budget.Release(size)
		ack(o)
	}
	it := &item{doc: d, route: route, done: func(o outcome) {
		if o.result != rejected {
			finish(o)
			return
		}
		// NOTE: produced off the indexer's goroutine so a slow Kafka does
		// not stall bulk workers; the goroutines are bounded by the budget.
		go func() {
			if err := s.dlq.send(s.ctx, m, d.Index, o.reason); err != nil {
				s.budget.Release(size) // shutting down: not acked, redelivered later
				return
			}
			s.metrics.DeadLettered.WithLabelValues(route).Inc()
			finish(o)
		}()
	}}
	if err := s.ix.add(ctx, it); err != nil {
		s.budget.Release(size)
		return err
	}
	s.metrics.Consumed.WithLabelValues(route).Inc()
	return nil
}
