package bench

import (
	"context"
	"fmt"
	"time"
)

// Issue 10's memory case: many routes catching up on large records.
const (
	backlogRoutes      = 20
	backlogRecordBytes = 20 << 10
	backlogBudget      = 16 << 20 // max_inflight_bytes
	// backlogRSSTarget is the README's bound for this case (logtransfer,
	// "Memory"): 50 MiB + 2 × the budget + 1.75 MiB for each of the 80
	// claimed partitions (a 256 KiB fetch and 4 queued records each, with
	// Go's heap headroom).
	backlogRSSTarget = 220
)

// backlog pre-fills backlogRoutes topics with records of backlogRecordBytes,
// starts the real logtransfer with one route per topic and a 16 MiB budget,
// samples its RSS until the sink has answered every document, and reports
// the peak against the budget.
func (e *env) backlog(ctx context.Context, r *report) error {
	const per = 1000 // 20 MB a topic: more than sarama's default prefetch of its 4 partitions
	st, err := e.newStage("backlog")
	if err != nil {
		return err
	}
	b := st.broker
	defer b.stop()
	topic := func(i int) string { return fmt.Sprintf("bench-backlog-%02d", i) }
	t0 := time.Now()
	for i := range backlogRoutes {
		if err := prefill(ctx, b, topic(i), per, backlogRecordBytes); err != nil {
			return fmt.Errorf("pre-filling %s: %w", topic(i), err)
		}
	}
	n := backlogRoutes * per
	e.logf("backlog: produced %d records of %d KiB to %d topics in %s", n, backlogRecordBytes>>10, backlogRoutes,
		time.Since(t0).Round(time.Millisecond))
	sink, err := e.startSink()
	if err != nil {
		return err
	}
	defer sink.proc.Stop(10 * time.Second)
	for i := 1; i < backlogRoutes; i++ {
		if _, err := e.cli.Put(ctx, e.opts.RouteKey(topic(i)), fmt.Sprintf(`{"topic":%q}`, topic(i))); err != nil {
			return err
		}
	}
	start := time.Now()
	tr, err := e.startTransfer(ctx, transferSpec{id: "bench-backlog", dir: st.dir, broker: b.Addr, sink: sink.addr,
		topic: topic(0), inflight: backlogBudget})
	if err != nil {
		return err
	}
	defer tr.Stop(15 * time.Second)
	rss := watchRSS(tr.Pid())
	err = waitUntil(ctx, 5*time.Minute, 20*time.Millisecond, "every document indexed", func() (bool, error) {
		s, err := sink.stats(ctx)
		return s.Docs >= int64(n), err
	}, tr, sink.proc, b.proc)
	peak := rss.stop()
	if err != nil {
		return err
	}
	r.add("transfer_backlog_rss_mb", mb(peak), atMost(backlogRSSTarget))
	r.note("backlog: %d routes × %d records of %d KiB (4 partitions each) in %s with max_inflight_bytes %d MiB: logtransfer peak RSS %.0f MiB",
		backlogRoutes, per, backlogRecordBytes>>10, time.Since(start).Round(time.Millisecond), backlogBudget>>20, mb(peak))
	return nil
}
