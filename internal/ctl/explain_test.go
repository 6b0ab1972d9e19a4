package ctl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
)

// TestExplain runs a real agent (allowed_paths, harvester_limit 1) with a
// task whose topic exists and one whose topic does not, and asks why each
// of its files is or is not shipped.
func TestExplain(t *testing.T) {
	s := newStack(t)
	k := devstack.NewKafkaManualTopics(t)
	s.env[EnvBrokers] = strings.Join(k.Addrs(), ",")
	if err := k.CreateTopic("mglogs"); err != nil {
		t.Fatal(err)
	}
	logs, outside := t.TempDir(), t.TempDir()
	write := func(path string, lines int) string {
		if err := os.WriteFile(path, []byte(strings.Repeat("GET /mg 200\n", lines)), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	in := func(name string) string { return filepath.Join(logs, name) }
	idle, open := write(in("mg_a.log"), 100), write(in("mg_b.log"), 50)
	skipped, other := write(in("mg_skip.log"), 3), write(in("other.txt"), 3)
	stuck, waiting := write(in("stuck_1.log"), 5), write(in("stuck_2.log"), 5)
	link := in("mg_link.log")
	secret := write(filepath.Join(outside, "secret.log"), 3)
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "mg", "--agent", "agent-1", "--path", in("mg_*.log"), "--exclude", "mg_skip*", "--topic", "mglogs")
	s.ok("task", "add", "stuck", "--agent", "all", "--path", in("stuck_*.log"), "--topic", "missing")
	// A task key the agent refuses (a bad topic) whose glob matches mg_*.
	s.put(logagent.TaskKey("agent-1", "bad"), `{"path":"`+in("mg_*.log")+`","topic":"bad topic"}`)
	s.runAgent("agent-1", k, func(c *logagent.Config) {
		c.Agent.AllowedPaths, c.Agent.HarvesterLimit = []string{logs}, 1
	})

	// With one harvester per task, mg_a.log is read to its end and closed
	// at once for mg_b.log, which then stays open (close_inactive is 5m);
	// stuck_1.log waits for its topic, so stuck_2.log waits for a harvester.
	want := map[string]string{
		idle: logagent.ExplainShipped, open: logagent.ExplainShipping, stuck: logagent.ExplainShipping,
		waiting: logagent.ExplainWaiting, skipped: logagent.ExplainExcluded, link: logagent.ExplainRefused,
	}
	for path, state := range want {
		devstack.WaitFor(t, 30*time.Second, filepath.Base(path)+" "+state, func() bool {
			rep, _ := s.explainJSON("agent-1", path)
			m := matchedTasks(rep)
			if rep.Source == "local" || len(m) != 1 || m[0].State != state {
				return false
			}
			return state != logagent.ExplainShipping && state != logagent.ExplainShipped || m[0].Acked == rep.Explanation.Size ||
				m[0].Health.Degraded()
		})
	}

	size := func(p string) string {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return bytesIEC(fi.Size())
	}
	tests := []struct {
		name, path string
		code       int
		want       []string
	}{
		{"shipping", open, ExitOK, []string{"task mg", "matched (glob " + in("mg_*.log"), "shipping: acked " + size(open) + " of " + size(open) + " (lag 0 B)",
			"file id ", "inode ", "fingerprint ", "generation 0", "idle close: open", "close_inactive 5m0s", "verdict: shipped by task mg",
			"task key " + logagent.TaskKey("agent-1", "bad") + " matches but the agent refused it: topic: \"bad topic\""}},
		{"fully shipped idle", idle, ExitOK, []string{"shipped: acked " + size(idle) + " of " + size(idle), "idle close: closed",
			"verdict: shipped by task mg"}},
		{"no task matches", other, ExitFailure, []string{"not examined: no task matches it", "task mg", "not matched (glob " + in("mg_*.log") + ")", "task stuck",
			"verdict: NOT shipped: none of the agent's 2 task(s) matches it"}},
		{"excluded", skipped, ExitFailure, []string{"excluded: exclude glob mg_skip*", "verdict: NOT shipped: mg excluded"}},
		{"symlink outside allowed_paths", link, ExitFailure, []string{"resolves to " + secret, "refused: ",
			"outside allowed_paths [" + logs + "]", "verdict: NOT shipped: mg refused"}},
		{"harvester_limit", waiting, ExitFailure, []string{"waiting for a harvester slot: 1 of harvester_limit 1 open",
			"acked 0 B of " + size(waiting), "verdict: NOT shipped: stuck waiting"}},
		{"topic missing", stuck, ExitFailure, []string{"shipping: acked 0 B of " + size(stuck), "task waiting since", "missing",
			"verdict: NOT shipped: stuck stalled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run("explain", tt.path, "--agent", "agent-1")
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			mustContain(t, r.stdout, append(tt.want, "explain "+tt.path+" on agent agent-1 (asked the agent at 127.0.0.1:")...)
		})
	}

	var rep explainReport
	decodeJSON(t, s.ok("explain", "-o", "json", "--agent", "agent-1", open), &rep)
	if m := matchedTasks(rep); !rep.Shipped || len(m) != 1 || m[0].Identity == nil || m[0].Identity.FileID == "" || len(rep.Explanation.Tasks) != 2 {
		t.Errorf("explain -o json of a shipped file: %+v", rep)
	}
}

// TestExplainIdleClosed: a file read to its end and closed after
// close_inactive is fully shipped (exit 0), and says it was closed.
func TestExplainIdleClosed(t *testing.T) {
	s := newStack(t)
	k := s.withKafka()
	file := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(file, []byte(strings.Repeat("GET /app 200\n", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "app", "--agent", "agent-1", "--path", filepath.Join(filepath.Dir(file), "*.log"), "--topic", "app")
	s.runAgent("agent-1", k, func(c *logagent.Config) { c.Agent.CloseInactive = 300 * time.Millisecond })
	devstack.WaitFor(t, 30*time.Second, "the file shipped and closed", func() bool {
		rep, code := s.explainJSON("agent-1", file)
		m := matchedTasks(rep)
		return code == ExitOK && len(m) == 1 && m[0].State == logagent.ExplainShipped && m[0].Harvesters == 0
	})
	r := s.run("explain", "--agent", "agent-1", file)
	if r.code != ExitOK {
		t.Errorf("exit %d, want %d", r.code, ExitOK)
	}
	mustContain(t, r.stdout, "shipped: acked 260 B of 260 B (lag 0 B)", "idle close: closed", "close_inactive 300ms",
		"verdict: shipped by task app")
}

// TestExplainWithoutAgent explains from etcd and this host when the agent
// has no status key: the file is not shipped, and why.
func TestExplainWithoutAgent(t *testing.T) {
	s := newStack(t)
	logs := t.TempDir()
	file := filepath.Join(logs, "app.log")
	if err := os.WriteFile(file, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "app", "--agent", "all", "--path", filepath.Join(logs, "*.log"), "--topic", "app")
	r := s.run("explain", "--agent", "web-9", file)
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, r.stdout, "worked out on this host", "no status key", "task app", "stopped: the agent is not running",
		"acked 0 B of 4 B", "verdict: NOT shipped: app stopped")
	if r := s.run("explain", "--agent", "web-9"); r.code != ExitUsage {
		t.Errorf("explain without PATH: exit %d, want %d", r.code, ExitUsage)
	}
}

// TestExplainUnreadable: a file the user cannot read is said to be so (the
// agent's check, run here for logctl's user as the agent runs it for its
// own).
func TestExplainUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	s := newStack(t)
	file := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(file, []byte("one\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "app", "--agent", "all", "--path", filepath.Join(filepath.Dir(file), "*.log"), "--topic", "app")
	r := s.run("explain", "--agent", "web-9", file)
	if r.code != ExitFailure {
		t.Errorf("exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, r.stdout, "unreadable by the agent's user: ", "permission denied", "verdict: NOT shipped: app unreadable")
}

// explainJSON runs explain -o json quietly (for polling).
func (s *stack) explainJSON(agent, path string) (explainReport, int) {
	var out, errb bytes.Buffer
	code := Run(s.t.Context(), []string{"explain", "-o", "json", "--agent", agent, path}, &out, &errb,
		func(k string) string { return s.env[k] })
	var rep explainReport
	_ = json.Unmarshal(out.Bytes(), &rep)
	return rep, code
}

// matchedTasks are the tasks whose glob matches the file.
func matchedTasks(rep explainReport) []logagent.TaskExplanation {
	var out []logagent.TaskExplanation
	for _, t := range rep.Explanation.Tasks {
		if t.State != logagent.ExplainNotMatched {
			out = append(out, t)
		}
	}
	return out
}
