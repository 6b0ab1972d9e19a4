package logtransfer

import (
	"context"
	"log/slog"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// sink is what every route shares on the way to Elasticsearch: the indexer,
// the dead letters, the byte budget and the metrics. Each route reaches it
// through its own lane (see lane), the daemon's routes and replay alike.
type sink struct {
	ctx     context.Context // outlives consumption; ends at the shutdown deadline
	ix      *indexer
	dlq     *deadLetters
	budget  *budget
	metrics *Metrics
	// stallBackoff spaces a stalled route's probes of its index.
	stallBackoff func(int, int) time.Duration
}

// recordOverhead approximates what a record costs in memory beyond its
// value and document body (headers, message and item structs).
const recordOverhead = 256

// lane opens route's way through the sink, with its share of the budget;
// close it when the route stops.
func (s *sink) lane(route string, cond *conf.Condition, log *slog.Logger) *lane {
	return &lane{name: route, sink: s, share: s.budget.join(), cond: cond, log: log}
}

// submit sends m's document through l.
//
// Contract: submit blocks while the route's share of the budget is spent or
// the indexer is busy (consumption of this route pauses) and returns
// ctx.Err() if ctx ends first; the record is then not in flight and ack is
// never called. Otherwise ack is called exactly once, from another
// goroutine, with created, duplicate or rejected (the latter only after the
// dead letter is in Kafka) — or never, if the sink's own context (the
// shutdown deadline) ends first or the lane is closed while the record is
// stalled.
func (l *lane) submit(ctx context.Context, b *docBuilder, m *sarama.ConsumerMessage, ack func(outcome)) error {
	d := b.build(m)
	size := int64(len(d.Body) + len(m.Value) + len(m.Key) + recordOverhead)
	if err := l.acquire(ctx, size); err != nil {
		return err
	}
	s := l.sink
	it := &item{doc: d, lane: l, size: size, msg: m, ack: ack}
	if err := s.ix.add(ctx, it); err != nil {
		l.share.release(size)
		return err
	}
	s.metrics.Consumed.WithLabelValues(l.name).Inc()
	return nil
}

// settle ends one send of it with o: a stalled item goes back to its lane,
// a rejected one to the dead letters, then, as a created or duplicate one
// does at once, it gives back its bytes and acks its record.
func (it *item) settle(o outcome) {
	l, s := it.lane, it.lane.sink
	switch o.result {
	case stalled:
		l.stall(it, o.reason)
		return
	case rejected:
		l.settled(it)
		// NOTE: produced off the indexer's goroutine so a slow Kafka does
		// not stall bulk workers; the goroutines are bounded by the budget.
		go func() {
			if err := s.dlq.send(s.ctx, it.msg, it.doc.Index, o.reason, l.dlqTrouble); err != nil {
				l.share.release(it.size) // shutting down: not acked, redelivered later
				return
			}
			s.metrics.DeadLettered.WithLabelValues(l.name).Inc()
			l.diverted(it.doc.Index, o.reason)
			l.share.release(it.size)
			it.ack(o)
		}()
	default:
		l.settled(it)
		l.share.release(it.size)
		it.ack(o)
	}
}
