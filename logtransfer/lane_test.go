package logtransfer

import (
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/prometheus/client_golang/prometheus"
)

// TestLaneProbesThenResends plays the indexer for one route whose index
// refuses writes: the held records go back one at a time, as probes spaced
// by a growing backoff, and never all at once; once a probe is indexed,
// every held record is sent again, all are acked, the route runs again and
// its share of the budget is free.
func TestLaneProbesThenResends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ix := &indexer{in: make(chan *item)} // the test is the indexer
		s := &sink{ctx: t.Context(), ix: ix, budget: newBudget(1 << 20), metrics: NewMetrics(prometheus.NewRegistry()),
			stallBackoff: conf.Backoff(time.Second, 8*time.Second)}
		log := slog.New(slog.DiscardHandler)
		l := s.lane("r", conf.NewCondition(log), log)
		b, err := newDocBuilder(Route{Topic: "r"}.WithDefaults(), time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		const n = 3
		var acked atomic.Int64
		go func() {
			for i := range n {
				m := &sarama.ConsumerMessage{Topic: "r", Offset: int64(i), Value: []byte("line " + strconv.Itoa(i))}
				if err := l.submit(t.Context(), b, m, func(outcome) { acked.Add(1) }); err != nil {
					t.Error(err)
				}
			}
		}()
		blocked := outcome{result: stalled, reason: "cluster_block_exception: index [r] blocked by: [FORBIDDEN/8/index write (api)];"}
		for range n {
			(<-ix.in).finish(blocked)
		}
		if h := l.cond.Health(); h.State != conf.StateFailing || h.Count != n {
			t.Fatalf("health after %d refusals = %+v, want failing, count %d", n, h, n)
		}
		// nothing comes back before the backoff
		synctest.Wait()
		select {
		case it := <-ix.in:
			t.Fatalf("item %v sent again before any backoff", it.doc.ID)
		default:
		}
		start := time.Now()
		for _, wait := range []time.Duration{time.Second, 2 * time.Second} {
			probe := <-ix.in
			if got := time.Since(start); got != wait {
				t.Fatalf("probe after %s, want %s", got, wait)
			}
			synctest.Wait()
			select {
			case it := <-ix.in:
				t.Fatalf("a second item %v sent beside the probe", it.doc.ID)
			default:
			}
			start = time.Now()
			probe.finish(blocked)
		}
		probe := <-ix.in
		probe.finish(outcome{result: created})
		for range n - 1 { // the rest, at once
			(<-ix.in).finish(outcome{result: created})
		}
		synctest.Wait()
		if got := acked.Load(); got != n {
			t.Fatalf("%d records acked, want %d", got, n)
		}
		if h := l.cond.Health(); h.State != conf.StateRunning {
			t.Fatalf("health after the lift = %+v, want running", h)
		}
		if used := s.budget.InUse(); used != 0 {
			t.Fatalf("%d bytes still held", used)
		}
		l.close()
	})
}
