package logagent

import (
	"encoding/json"
	"github.com/logpipe/logpipe/internal/devstack"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestShipsEveryLineOfSeveralFiles(t *testing.T) {
	e := newEnv(t)
	want := map[string][]string{}
	for _, name := range []string{"mg_2020-06-23-18.log", "mg_2020-06-23-19.log", "other.txt"} {
		want[name] = writeLines(t, join(e.logs, name), strings.TrimSuffix(name, ".log"), 0, 500)
	}
	e.putTask("agent-1", "mg", Task{Path: join(e.logs, "mg_*.log"), Topic: "mglogs", Fields: map[string]string{"app": "mg"}})
	a := e.start(e.config())
	// A file created after start is picked up by the next scan.
	want["mg_2020-06-23-20.log"] = writeLines(t, join(e.logs, "mg_2020-06-23-20.log"), "mg_2020-06-23-20", 0, 300)
	// Lines appended to a file being followed.
	want["mg_2020-06-23-18.log"] = append(want["mg_2020-06-23-18.log"], writeLines(t, join(e.logs, "mg_2020-06-23-18.log"), "mg_2020-06-23-18", 500, 200)...)
	delete(want, "other.txt")

	recs := e.readDistinct("mglogs", 1500, 30*time.Second)
	if dups := verify(t, recs, want); dups != 0 {
		t.Errorf("%d duplicates without any fault", dups)
	}
	for _, r := range recs {
		if r.Headers[hdrHost] != "agent-1" || !strings.HasPrefix(r.Headers[hdrPath], e.logs) || r.Headers[hdrFields] != `{"app":"mg"}` {
			t.Fatalf("bad headers: %v", r.Headers)
		}
		id := r.Headers[hdrID]
		if off, err := strconv.ParseInt(strings.TrimPrefix(id, r.Key+"-"), 10, 64); err != nil || off < 0 || len(r.Headers) != 5 {
			t.Fatalf("id %q is not key %q, '-', a byte offset; headers %v", id, r.Key, r.Headers)
		}
		if _, err := strconv.ParseInt(r.Headers[hdrTS], 10, 64); err != nil {
			t.Fatalf("lp.ts: %v", err)
		}
		if strings.ContainsAny(r.Value, "\r\n") {
			t.Fatalf("value keeps a line ending: %q", r.Value)
		}
	}
	// Status shows the task and that everything is acked; its files are on
	// the agent's HTTP address, which the key names.
	devstack.WaitFor(t, 10*time.Second, "status with 3 files fully acked", func() bool {
		st, ok := e.status("agent-1")
		if !ok || len(st.Tasks) != 1 || st.Tasks[0].OpenFiles != 3 || st.Tasks[0].LagBytes != 0 || st.HTTP != a.HTTPAddr() {
			return false
		}
		var files Status
		if err := json.Unmarshal([]byte(httpGet(t, "http://"+st.HTTP+"/status/files")), &files); err != nil {
			t.Fatal(err)
		}
		if len(files.Tasks) != 1 || len(files.Tasks[0].Files) != 3 {
			return false
		}
		for _, f := range files.Tasks[0].Files {
			if f.LagByte != 0 {
				return false
			}
		}
		return st.KafkaReady
	})
	if err := a.Ready(); err != nil {
		t.Errorf("Ready() = %v", err)
	}
	// What an operator polls.
	for path, want := range map[string]string{
		"/readyz":  "ready",
		"/healthz": "ok",
		"/metrics": `logagent_lines_acked_total{task="mg"} 1500`,
	} {
		body := httpGet(t, "http://"+a.HTTPAddr()+path)
		if !strings.Contains(body, want) {
			t.Errorf("GET %s: want %q in:\n%.400s", path, want, body)
		}
	}
}

// TestCloseInactiveReopens: an idle file is closed to free its descriptor
// and picked up again, from its acked position, when it grows.
func TestCloseInactiveReopens(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.CloseInactive = 300 * time.Millisecond
	e.putTask("agent-1", "i", Task{Path: join(e.logs, "*.log"), Topic: "idle"})
	a := e.start(cfg)
	want := writeLines(t, join(e.logs, "i.log"), "i", 0, 100)
	e.readDistinct("idle", 100, 20*time.Second)
	devstack.WaitFor(t, 10*time.Second, "idle file closed", func() bool { return gaugeValue(a.metrics.OpenFiles) == 0 })
	before := time.Now().UnixMilli()
	want = append(want, writeLines(t, join(e.logs, "i.log"), "i", 100, 100)...)
	recs := e.readDistinct("idle", 200, 20*time.Second)
	if dups := verify(t, recs, map[string][]string{"i": want}); dups != 0 {
		t.Errorf("reopening re-sent %d lines", dups)
	}
	// The closed harvester trimmed its time anchor to what it sent: the
	// new lines are stamped when read, not with the old anchor's time.
	stale := 0
	for _, r := range recs {
		if ts, _ := strconv.ParseInt(r.Headers[hdrTS], 10, 64); r.Value >= lineText("i", 100) && ts < before {
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("%d lines written after the reopen carry an lp.ts from before they were written", stale)
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	code, b := devstack.HTTPGet(url)
	if code == 0 {
		t.Fatal(b)
	}
	return b
}
