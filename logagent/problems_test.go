package logagent

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// TestFileProblemsInStatus: a matched file the task may not ship (here a
// symlink leaving allowed_paths) is named with its reason in the status key
// while the task's other files ship, and drops out once it is gone.
func TestFileProblemsInStatus(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.AllowedPaths = []string{e.logs}
	outside := join(t.TempDir(), "secret.log")
	if err := os.WriteFile(outside, []byte("not for shipping\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	evil := join(e.logs, "evil.log")
	if err := os.Symlink(outside, evil); err != nil {
		t.Fatal(err)
	}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "tp"})
	e.start(cfg)
	want := writeLines(t, join(e.logs, "good.log"), "good", 0, 50)
	recs := e.readDistinct("tp", 50, 20*time.Second)
	verify(t, recs, map[string][]string{"good": want})

	problems := func() []FileProblem {
		st, ok := e.status("agent-1")
		if !ok || len(st.Tasks) != 1 {
			return nil
		}
		return st.Tasks[0].Problems
	}
	devstack.WaitFor(t, 10*time.Second, "the refused file in the status key", func() bool {
		p := problems()
		return len(p) == 1 && p[0].Path == evil && strings.Contains(p[0].Error, "file refused")
	})
	if err := os.Remove(evil); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 10*time.Second, "the problem to clear", func() bool { return len(problems()) == 0 })
	// The lines are in Kafka already; the deadline is for a fresh consumer
	// on a loaded machine (5 s once read none of them under make test's
	// -race run on two cores), not a limit the agent must meet.
	for _, r := range e.readDistinct("tp", 50, 20*time.Second) {
		if strings.Contains(r.Value, "not for shipping") {
			t.Fatalf("shipped the file outside allowed_paths: %v", r.Headers)
		}
	}
}

// TestHarvesterLimit: with harvester_limit 2 and six files, the task never
// has more than two open, and every line of every file ships: a file that
// stopped growing makes room for the waiting ones.
func TestHarvesterLimit(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.HarvesterLimit = 2
	want := map[string][]string{}
	for i := range 6 {
		tag := fmt.Sprintf("f%d", i)
		want[tag] = writeLines(t, join(e.logs, tag+".log"), tag, 0, 200)
	}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "lim"})
	a := e.start(cfg)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			peak.Store(max(peak.Load(), int64(gaugeValue(a.metrics.OpenFiles))))
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	recs := e.readDistinct("lim", 1200, 30*time.Second)
	close(stop)
	<-sampled
	verify(t, recs, want)
	if p := peak.Load(); p > 2 || p == 0 {
		t.Errorf("peak open files %d, want 1-2 (harvester_limit 2)", p)
	}
}
