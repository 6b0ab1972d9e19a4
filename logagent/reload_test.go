package logagent

import (
	"github.com/logpipe/logpipe/internal/devstack"
	"os"
	"strings"
	"testing"
	"time"
)

func TestHotReloadAddChangeRemove(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	e.putTask("agent-1", "a", Task{Path: join(e.logs, "a*.log"), Topic: "ta"})
	e.start(cfg)
	wantA := writeLines(t, join(e.logs, "a1.log"), "a1", 0, 100)
	e.readDistinct("ta", 100, 20*time.Second)

	// Add: a new task starts shipping without a restart, within ~1s.
	wantB := writeLines(t, join(e.logs, "b1.log"), "b1", 0, 100)
	start := time.Now()
	e.putTask(AllAgents, "b", Task{Path: join(e.logs, "b*.log"), Topic: "tb"})
	e.readDistinct("tb", 100, 20*time.Second)
	t.Logf("added task shipped its file %s after the etcd write", time.Since(start).Round(time.Millisecond))

	// Change: new fields; what was acked is not re-sent, new lines carry them.
	e.putTask("agent-1", "a", Task{Path: join(e.logs, "a*.log"), Topic: "ta", Fields: map[string]string{"v": "2"}})
	devstack.WaitFor(t, 10*time.Second, "changed task applied", func() bool {
		st, ok := e.status("agent-1")
		if !ok {
			return false
		}
		for _, ts := range st.Tasks {
			if ts.Name == "a" && ts.Task.Fields["v"] == "2" {
				return true
			}
		}
		return false
	})
	wantA = append(wantA, writeLines(t, join(e.logs, "a1.log"), "a1", 100, 50)...)
	recs := e.readDistinct("ta", 150, 20*time.Second)
	if dups := verify(t, recs, map[string][]string{"a": wantA}); dups != 0 {
		t.Errorf("changed task re-sent %d acked lines", dups)
	}
	after := map[string]bool{}
	for _, l := range wantA[100:] {
		after[l] = true
	}
	for _, r := range recs {
		if after[r.Value] && r.Headers[hdrFields] != `{"v":"2"}` {
			t.Errorf("line after change lacks new fields: %v", r.Headers)
		}
	}

	// Remove: it ships what was written before the removal, then stops.
	wantB = append(wantB, writeLines(t, join(e.logs, "b1.log"), "b1", 100, 100)...)
	if _, err := e.cli.Delete(t.Context(), TaskKey(AllAgents, "b")); err != nil {
		t.Fatal(err)
	}
	recs = e.readDistinct("tb", 200, 20*time.Second)
	verify(t, recs, map[string][]string{"b": wantB})
	devstack.WaitFor(t, 10*time.Second, "task b gone from status", func() bool {
		st, ok := e.status("agent-1")
		return ok && len(st.Tasks) == 1 && st.Tasks[0].Name == "a"
	})
}

func TestRejectsBadTasksAndKeepsOthersRunning(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	allowed := join(e.logs, "allowed")
	outside := t.TempDir()
	if err := os.MkdirAll(allowed, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Agent.AllowedPaths = []string{allowed}
	// A symlink inside the allowed dir reaching outside it.
	if err := os.Symlink(outside, join(allowed, "escape")); err != nil {
		t.Fatal(err)
	}
	e.putTask("agent-1", "good", Task{Path: join(allowed, "*.log"), Topic: "good"})
	e.start(cfg)
	want := writeLines(t, join(allowed, "g.log"), "g", 0, 50)
	e.readDistinct("good", 50, 20*time.Second)

	e.put(TaskKey("agent-1", "good"), `{"path":"relative/*.log","topic":"good"}`) // bad edit of a running task
	e.put(TaskKey("agent-1", "typo"), `{"path":"/x/*.log","topic":"t","multline":{}}`)
	e.put(TaskKey("agent-1", "outside"), `{"path":"`+join(outside, "*.log")+`","topic":"o"}`)
	e.put(TaskKey("agent-1", "symlink"), `{"path":"`+join(allowed, "escape", "*.log")+`","topic":"o"}`)
	e.put(TaskKey("agent-1", "badtopic"), `{"path":"`+join(allowed, "*.log")+`","topic":"no spaces"}`)
	e.put(TaskKey("agent-1", "badre"), `{"path":"`+join(allowed, "*.log")+`","topic":"x","multiline":{"pattern":"(","match":"after"}}`)
	e.put(ClassicKey("agent-1"), `[{"path":"/x","topic":`)

	wantReasons := map[string]string{
		TaskKey("agent-1", "good"):     "must be absolute",
		TaskKey("agent-1", "typo"):     `unknown field "multline"`,
		TaskKey("agent-1", "outside"):  "outside allowed_paths",
		TaskKey("agent-1", "symlink"):  "resolves to",
		TaskKey("agent-1", "badtopic"): "topic:",
		TaskKey("agent-1", "badre"):    "multiline.pattern",
		ClassicKey("agent-1"):          "invalid JSON",
	}
	var st Status
	devstack.WaitFor(t, 10*time.Second, "all rejections in status", func() bool {
		var ok bool
		st, ok = e.status("agent-1")
		return ok && len(st.Rejected) == len(wantReasons)
	})
	for _, r := range st.Rejected {
		if w, ok := wantReasons[r.Key]; !ok || !strings.Contains(r.Reason, w) {
			t.Errorf("rejection %s: %q, want it to mention %q", r.Key, r.Reason, w)
		}
	}
	// The good task keeps its last valid version and keeps shipping.
	want = append(want, writeLines(t, join(allowed, "g.log"), "g", 50, 50)...)
	recs := e.readDistinct("good", 100, 20*time.Second)
	verify(t, recs, map[string][]string{"g": want})
	if len(st.Tasks) != 1 || st.Tasks[0].Name != "good" {
		t.Errorf("tasks running = %+v, want only good", st.Tasks)
	}
}

func TestClassicCollectConfig(t *testing.T) {
	e := newEnv(t)
	e.put(ClassicKey("agent-1"), `[{"path":"`+join(e.logs, "c.log")+`","topic":"classic"}]`)
	e.start(e.config())
	want := writeLines(t, join(e.logs, "c.log"), "c", 0, 30)
	verify(t, e.readDistinct("classic", 30, 20*time.Second), map[string][]string{"c": want})
}

func TestEtcdDownAtStartRunsCachedTasks(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	e.putTask("agent-1", "c", Task{Path: join(e.logs, "*.log"), Topic: "cached"})
	a := e.start(cfg)
	want := writeLines(t, join(e.logs, "x.log"), "x", 0, 20)
	e.readDistinct("cached", 20, 20*time.Second)
	a.stop(t)

	e.etcd.Stop()
	want = append(want, writeLines(t, join(e.logs, "x.log"), "x", 20, 20)...)
	a = e.start(cfg)
	recs := e.readDistinct("cached", 40, 20*time.Second)
	verify(t, recs, map[string][]string{"x": want})
	if err := a.Ready(); err == nil || !strings.Contains(err.Error(), "cached") {
		t.Errorf("Ready() = %v, want it to say tasks are cached", err)
	}
	// etcd back: the agent leaves cached mode by itself.
	if err := e.etcd.Restart(); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 20*time.Second, "ready after etcd returns", func() bool { return a.Ready() == nil })
}
