package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// follow has the agent (one core) follow a file written at 35,000 lines/s.
// Phase one measures its CPU and peak RSS while the broker is up; phase two
// stops the broker process for as long, measures the peak RSS while the lines pile
// up, starts the broker again on the same port with its data, and checks
// that every line written reached it once (distinct lp.id).
func (e *env) follow(ctx context.Context, r *report) error {
	st, err := e.newStage("follow")
	if err != nil {
		return err
	}
	b := st.broker
	defer b.stop()
	cl, err := b.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	const topic = "bench-follow"
	w := &rateWriter{path: filepath.Join(st.logs, "app.log"), rate: rate}
	stopWriter := w.start(ctx)
	defer stopWriter()
	agent, err := e.startAgent(ctx, agentSpec{id: "bench-follow", dir: st.dir, broker: b.Addr,
		glob: filepath.Join(st.logs, "*.log"), topic: topic, pinned: true})
	if err != nil {
		return err
	}
	defer agent.Stop(15 * time.Second)
	err = waitUntil(ctx, time.Minute, 50*time.Millisecond, "the first lines", func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n > 0 && n >= w.written.Load()-rate/2, err // shipping, and less than 0.5 s behind
	}, agent, b.proc)
	if err != nil {
		return err
	}

	if err := sleep(ctx, 3*time.Second); err != nil { // past start-up work
		return err
	}
	// Phase one: broker up.
	e.logf("follow: agent keeps up; measuring %s at %d lines/s", e.opts.Duration, rate)
	cpu0, err := cpuTime(agent.Pid())
	if err != nil {
		return err
	}
	t0 := time.Now()
	rss := watchRSS(agent.Pid())
	profiled := e.profile("logagent-35k", agent)
	if err := sleep(ctx, e.opts.Duration); err != nil {
		return err
	}
	cpu1, err := cpuTime(agent.Pid())
	if err != nil {
		return err
	}
	wall := time.Since(t0)
	peak := rss.stop()
	profiled(r)
	held, err := highWater(ctx, cl, topic)
	if err != nil {
		return err
	}
	r.add("agent_cpu_pct_at_35k", 100*(cpu1-cpu0).Seconds()/wall.Seconds(), atMost(5))
	r.add("agent_rss_mb_at_35k", mb(peak), atMost(40))
	r.note("follow: %s at %d lines/s: agent CPU %s; broker %d lines behind the writer at the end",
		wall.Round(time.Millisecond), rate, cpu1-cpu0, w.written.Load()-held)

	// Phase two: broker down, lines keep coming.
	e.logf("follow: stopping the broker for %s", e.opts.Duration)
	b.stop()
	before := w.written.Load()
	rss = watchRSS(agent.Pid())
	if err := sleep(ctx, e.opts.Duration); err != nil {
		return err
	}
	if agent.Exited() {
		return fmt.Errorf("agent exited while the broker was down\n%s", agent.Tail())
	}
	peakDown := rss.stop()
	r.add("agent_rss_mb_kafka_down", mb(peakDown), atMost(64))
	if err := b.restart(); err != nil {
		return fmt.Errorf("restarting the broker: %w", err)
	}
	restarted := time.Now()
	if err := stopWriter(); err != nil {
		return fmt.Errorf("writing lines: %w", err)
	}
	total := w.written.Load()
	e.logf("follow: broker back after %d lines written while it was down; %d in all", total-before, total)
	err = waitUntil(ctx, 5*time.Minute, 100*time.Millisecond, "the agent to catch up", func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n >= total, err
	}, agent, b.proc)
	recovered := time.Since(restarted)
	if err != nil {
		e.logf("follow: %v; counting what arrived", err)
	}
	records, ids, err := distinct(ctx, b, topic, total, 2*time.Minute)
	if err != nil {
		return err
	}
	r.add("agent_lost_kafka_down", float64(total-ids), exactly(0))
	r.note("broker process stopped (SIGTERM) for %s, then restarted on its port and data dir: %d lines written meanwhile; all %d lines in the broker %s after its restart; %d records, %d distinct lp.id, %d duplicates",
		e.opts.Duration, total-before, total, recovered.Round(100*time.Millisecond), records, ids, records-ids)
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }
