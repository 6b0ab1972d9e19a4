package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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
	agent.Stop(15 * time.Second)
	return e.throughputKcat(ctx, r, st, cl, filepath.Join(st.logs, "app.log"), n, s.cpuPerMline())
}

// throughputKcat ships the same file with kcat at its defaults (no
// compression, as the agent's) but acks=all, reading the file itself (-l),
// pinned the same way, and reports its CPU per million lines beside the
// agent's: the full-speed target is absolute, and this VM's speed moves by
// tens of percent between hours. kcat exits once every line is acked, so
// its CPU is its rusage then, less what it had used by the first tenth.
func (e *env) throughputKcat(ctx context.Context, r *report, st *stage, cl *kgo.Client, file string, n int, agentCPU float64) error {
	if why := needs("kcat", "apt-get install kcat")(); why != "" {
		r.note("throughput: peer kcat skipped: %s", why)
		return nil
	}
	const topic = "bench-throughput-kcat"
	start := time.Now()
	p, _, err := e.ch.start(procSpec{name: "kcat", bin: "kcat", cpus: e.agentCPUs,
		args: []string{"-P", "-b", st.broker.Addr, "-t", topic, "-X", "acks=all", "-l", file}})
	if err != nil {
		return err
	}
	defer p.Stop(5 * time.Second)
	var cpu0 time.Duration
	var held0 int64
	err = waitUntil(ctx, 5*time.Minute, 5*time.Millisecond, "kcat's first tenth of the lines", func() (bool, error) {
		held, err := highWater(ctx, cl, topic)
		if err != nil || held < int64(n)/10 {
			return false, err
		}
		held0 = held
		cpu0, err = cpuTime(p.Pid())
		return true, err
	}, p, st.broker.proc)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(5 * time.Minute):
		return fmt.Errorf("kcat did not finish within 5m\n%s", p.Tail())
	}
	elapsed := time.Since(start)
	if p.err != nil {
		return fmt.Errorf("kcat: %v\n%s", p.err, p.Tail())
	}
	if held, err := highWater(ctx, cl, topic); err != nil || held < int64(n) {
		return fmt.Errorf("kcat exited with %d of %d lines in the broker (%v)\n%s", held, n, err, p.Tail())
	}
	ps := p.cmd.ProcessState
	steady := ps.UserTime() + ps.SystemTime() - cpu0
	kcat := steady.Seconds() / (float64(int64(n)-held0) / 1e6)
	r.add("agent_vs_kcat_cpu_per_mline", agentCPU/kcat, none)
	r.note("throughput: kcat (kcat -P -l, no compression, acks=all; records of the line alone, where the agent's also carry a key and four headers) %d lines in %s, %.2f CPU-s per M lines after the first tenth; agent_vs_kcat_cpu_per_mline = the agent's / kcat's",
		n, elapsed.Round(time.Millisecond), kcat)
	return nil
}
