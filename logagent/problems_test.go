package logagent

import (
	"os"
	"strings"
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
	for _, r := range e.readDistinct("tp", 50, 5*time.Second) {
		if strings.Contains(r.Value, "not for shipping") {
			t.Fatalf("shipped the file outside allowed_paths: %v", r.Headers)
		}
	}
}
