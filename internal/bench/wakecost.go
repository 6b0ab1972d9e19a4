package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"

	"github.com/logpipe/logpipe/internal/bench/wake"
)

// wakeCostFigures are the wake scenario's figures: informative, the
// machine's and not the agent's.
var wakeCostFigures = []string{"machine_wake_cost_ms", "machine_wake_cost_l2_ms"}

// wakeScenario measures what the shipper's core charges a process for
// waking up every 200 ms to do a few milliseconds of memory-bound work, as
// a shipper following a file does at every rate (logagent reads a growing
// file once per read_interval). It runs internal/cmd/wakecost the way the
// paced scenario runs a shipper: GOMAXPROCS=1, pinned to that core, the
// harness on the other. On a shared cloud host this is where the paced CPU
// per line exceeds the full-speed one, whatever the shipper.
func (e *env) wakeScenario(ctx context.Context, r *report) error {
	restore, err := pinHarness(e.otherCPUs)
	if err != nil {
		return err
	}
	defer restore()
	cmd := exec.CommandContext(ctx, e.bin("wakecost"))
	cmd.Env = append(cmd.Environ(), "GOMAXPROCS=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := startPinned(cmd, e.agentCPUs); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("wakecost: %w\n%s", err, errOut.Bytes())
	}
	var w wake.Result
	if err := json.Unmarshal(out.Bytes(), &w); err != nil {
		return fmt.Errorf("wakecost printed %q: %w", out.Bytes(), err)
	}
	r.add("machine_wake_cost_ms", w.WakeCostMS, none)
	r.add("machine_wake_cost_l2_ms", w.SmallWakeCostMS, none)
	e.logf("wake: %d units of work after each %.0f ms asleep cost %.2f ms more CPU than back to back (%d KiB working set), %.2f ms more within L2 (%d KiB)",
		w.UnitsPerWake, w.GapMS, w.WakeCostMS, w.LargeSetKiB, w.SmallWakeCostMS, w.SmallSetKiB)
	perSecond := 1000 / w.GapMS // wake-ups a second at that gap: logagent's read_interval
	r.note("wake: the machine's cost of a wake-up (internal/cmd/wakecost, GOMAXPROCS=1 on the shipper's core): copying and CRC-ing %d × 16 KiB of a %d KiB working set costs %.2f µs a unit back to back and %.2f after each %.0f ms asleep, so %.2f ms more per wake-up; within L2 (%d KiB) %.2f and %.2f, %.2f ms more. A shipper waking %.0f times a second (logagent's read_interval, one followed file) to touch a few MB pays up to ~%.2f %% of a core for it, at any rate",
		w.UnitsPerWake, w.LargeSetKiB, w.ContinuousUS, w.BurstUS, w.GapMS, w.WakeCostMS, w.SmallSetKiB, w.SmallContUS, w.SmallBurstUS, w.SmallWakeCostMS,
		perSecond, w.WakeCostMS*perSecond/10)
	return nil
}
