package bench

import (
	"context"
	"path/filepath"
	"time"
)

// throughput ships one pre-written file with the agent limited to one core
// and times it from the agent's start until the broker holds every line
// (the sum of the topic's high-water marks). Its CPU is the agent's own
// user+system time at that moment.
func (e *env) throughput(ctx context.Context, r *report) error {
	st, err := e.newStage("throughput")
	if err != nil {
		return err
	}
	b := st.broker
	defer b.stop()
	n := e.opts.Lines
	t0 := time.Now()
	size, err := writeLines(filepath.Join(st.logs, "app.log"), n)
	if err != nil {
		return err
	}
	e.logf("throughput: wrote %d lines (%.0f MB, %d B/line) in %s", n, float64(size)/1e6, size/int64(n), time.Since(t0).Round(time.Millisecond))
	cl, err := b.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	const topic = "bench-throughput"
	start := time.Now()
	agent, err := e.startAgent(ctx, agentSpec{id: "bench-throughput", dir: st.dir, broker: b.Addr,
		glob: filepath.Join(st.logs, "*.log"), topic: topic, pinned: true})
	if err != nil {
		return err
	}
	defer agent.Stop(15 * time.Second)
	profiled := e.profile("logagent", agent)
	s, err := waitShipped(ctx, cl, topic, int64(n), start, agent, b.proc)
	if err != nil {
		return err
	}
	_, peak, _ := memory(agent.Pid())
	profiled(r)
	r.add("agent_lines_per_s", float64(n)/s.elapsed.Seconds(), atLeast(400_000))
	r.add("agent_cpu_s_per_mline", s.cpuPerMline(), atMost(1.0))
	r.note("throughput: %d lines (%.0f MB) in %s from agent start, agent CPU %s in all (%.0f%% of its core), %s for the %d lines after the first tenth; peak RSS %.0f MB",
		n, float64(size)/1e6, s.elapsed.Round(time.Millisecond), s.totalCPU, 100*s.totalCPU.Seconds()/s.elapsed.Seconds(), s.steadyCPU, s.steadyLines, mb(peak))
	e.logf("throughput: done in %s", s.elapsed.Round(time.Millisecond))
	return nil
}
