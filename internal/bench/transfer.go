package bench

import (
	"context"
	"fmt"
	"time"
)

// transfer pre-fills a topic with agent-style records, then times the real
// logtransfer from its start until the sink has answered every document,
// and takes logtransfer's own CPU at that moment.
func (e *env) transfer(ctx context.Context, r *report) error {
	st, err := e.newStage("transfer")
	if err != nil {
		return err
	}
	b := st.broker
	defer b.stop()
	const topic = "bench-transfer"
	n := e.opts.Docs
	t0 := time.Now()
	if err := prefill(ctx, b, topic, n, 0); err != nil {
		return fmt.Errorf("pre-filling %s: %w", topic, err)
	}
	e.logf("transfer: produced %d records in %s", n, time.Since(t0).Round(time.Millisecond))
	sink, err := e.startSink()
	if err != nil {
		return err
	}
	defer sink.proc.Stop(10 * time.Second)
	start := time.Now()
	tr, err := e.startTransfer(ctx, transferSpec{id: "bench-transfer", dir: st.dir, broker: b.Addr, sink: sink.addr, topic: topic})
	if err != nil {
		return err
	}
	defer tr.Stop(15 * time.Second)
	profiled := e.profile("logtransfer", tr)
	err = waitUntil(ctx, 5*time.Minute, 20*time.Millisecond, "every document indexed", func() (bool, error) {
		s, err := sink.stats(ctx)
		return s.Docs >= int64(n), err
	}, tr, sink.proc, b.proc)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	cpu, err := cpuTime(tr.Pid())
	if err != nil {
		return err
	}
	sinkCPU, _ := cpuTime(sink.proc.Pid())
	profiled(r)
	r.add("transfer_docs_per_s", float64(n)/elapsed.Seconds(), none)
	r.add("transfer_cpu_s_per_mdoc", cpu.Seconds()/(float64(n)/1e6), atMost(10))
	r.note("transfer: %d documents in %s from logtransfer start (consumer group join included), logtransfer CPU %s = %.0f docs/s per core; sink CPU %s",
		n, elapsed.Round(time.Millisecond), cpu, float64(n)/cpu.Seconds(), sinkCPU)
	return nil
}
