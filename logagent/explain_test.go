package logagent

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolveTasksAsTheAgent: logctl resolves an agent's keys with the
// agent's own rules (its task wins over all's, its status key is no task,
// an invalid value is rejected with the reason).
func TestResolveTasksAsTheAgent(t *testing.T) {
	tasks, rejected := ResolveTasks("web-1", nil, map[string]string{
		TaskKey("web-1", "mg"):    `{"path":"/data/own_*.log","topic":"mglogs"}`,
		TaskKey(AllAgents, "mg"):  `{"path":"/data/all_*.log","topic":"mglogs"}`,
		TaskKey(AllAgents, "ng"):  `{"path":"/data/ng.log","topic":"ng"}`,
		TaskKey("web-1", "bad"):   `{"path":"relative.log","topic":"x"}`,
		StatusKey("web-1"):        `{"agent":"web-1"}`,
		TaskKey("web-2", "other"): `{"path":"/data/other.log","topic":"o"}`,
	})
	if len(tasks) != 2 || tasks["mg"].Path != "/data/own_*.log" || tasks["ng"].Path != "/data/ng.log" {
		t.Errorf("tasks: %+v", tasks)
	}
	if len(rejected) != 1 || rejected[0].Key != TaskKey("web-1", "bad") {
		t.Errorf("rejected: %+v", rejected)
	}
}

// TestExplainWithoutAgentUsesTheRegistry: a file whose saved position is
// its end is shipped even with no agent running; one with bytes past it
// is stopped, and an excluded one names its glob.
func TestExplainWithoutAgentUsesTheRegistry(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	done, behind := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	for _, p := range []string{done, behind} {
		if err := os.WriteFile(p, []byte("line one\nline two\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pos, err := loadPositions(filepath.Join(state, positionsFile))
	if err != nil {
		t.Fatal(err)
	}
	for p, off := range map[string]int64{done: 18, behind: 9} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		id, _, err := identify(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		pos.put(position{Task: "app", Path: p, Dev: id.Dev, Ino: id.Ino, FP: id.FP, FPLen: id.FPLen, Offset: off})
	}
	if err := pos.save(); err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings()
	s.StateDir = state
	tasks := map[string]Task{"app": {Path: filepath.Join(dir, "*.log"), Topic: "app", Exclude: []string{"c*"}}}
	for _, tt := range []struct {
		path, state string
		acked       int64
	}{{done, ExplainShipped, 18}, {behind, ExplainStopped, 9}, {filepath.Join(dir, "c.log"), ExplainExcluded, 0}} {
		ex := Explain("web-1", s, tasks, tt.path)
		if len(ex.Tasks) != 1 || ex.Tasks[0].State != tt.state || ex.Tasks[0].Acked != tt.acked || ex.Live {
			t.Errorf("%s: %+v, want %s acked %d", tt.path, ex, tt.state, tt.acked)
		}
	}
}
