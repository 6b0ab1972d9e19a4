package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// e2e runs the whole pipeline, agent → broker → logtransfer → sink, with
// lines written at 35,000 lines/s carrying their write time; the sink
// computes indexed time − write time per document. Latency is measured
// once the pipeline flows (the consumer group has joined) and until every
// line written is indexed.
func (e *env) e2e(ctx context.Context, r *report) error {
	st, err := e.newStage("e2e")
	if err != nil {
		return err
	}
	b := st.broker
	defer b.stop()
	sink, err := e.startSink()
	if err != nil {
		return err
	}
	defer sink.proc.Stop(10 * time.Second)
	const topic = "bench-e2e"
	w := &rateWriter{path: filepath.Join(st.logs, "app.log"), rate: rate, stamp: true}
	stopWriter := w.start(ctx)
	defer stopWriter()
	agent, err := e.startAgent(ctx, agentSpec{id: "bench-e2e", dir: st.dir, broker: b.Addr,
		glob: filepath.Join(st.logs, "*.log"), topic: topic, pinned: true})
	if err != nil {
		return err
	}
	defer agent.Stop(15 * time.Second)
	tr, err := e.startTransfer(ctx, transferSpec{id: "bench-e2e", dir: st.dir, broker: b.Addr, sink: sink.addr, topic: topic})
	if err != nil {
		return err
	}
	defer tr.Stop(15 * time.Second)
	procs := []*Proc{agent, tr, sink.proc, b.proc}
	// Flowing: a second's worth of lines indexed, within a second of writing.
	err = waitUntil(ctx, 2*time.Minute, 100*time.Millisecond, "the pipeline to flow", func() (bool, error) {
		s, err := sink.stats(ctx)
		if err != nil || s.Stamped < rate {
			return false, err
		}
		if err := sink.reset(ctx); err != nil {
			return false, err
		}
		return s.P99ms < 1000, nil
	}, procs...)
	if err != nil {
		return err
	}
	if err := sink.reset(ctx); err != nil {
		return err
	}
	e.logf("e2e: pipeline flows; measuring %s at %d lines/s", e.opts.E2EDuration, rate)
	if err := sleep(ctx, e.opts.E2EDuration); err != nil {
		return err
	}
	if err := stopWriter(); err != nil {
		return fmt.Errorf("writing lines: %w", err)
	}
	total := w.written.Load()
	var s Stats
	err = waitUntil(ctx, 2*time.Minute, 50*time.Millisecond, "every line indexed", func() (bool, error) {
		s, err = sink.stats(ctx)
		return s.Docs >= total, err
	}, procs...)
	if err != nil {
		return err
	}
	r.add("e2e_p50_ms", s.P50ms, none)
	r.add("e2e_p99_ms", s.P99ms, atMost(2000))
	r.note("e2e: %d lines measured over %s, max %.0f ms; latency = sink receipt − write time, 1 ms buckets", s.Stamped, e.opts.E2EDuration, s.Maxms)
	return nil
}
