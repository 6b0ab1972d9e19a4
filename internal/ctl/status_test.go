package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestStatusRendersDaemonStatuses(t *testing.T) {
	s := newStack(t)
	s.ok("task", "add", "mg", "--agent", "all", "--path", "/data/mg_*.log", "--topic", "mglogs")
	s.ok("task", "add", "api", "--agent", "web-3", "--path", "/data/api.log", "--topic", "api")
	s.ok("route", "add", "mglogs", "--topic", "mglogs")
	resp, err := s.cli.Get(t.Context(), logagent.TaskKey("all", "mg"))
	if err != nil {
		t.Fatal(err)
	}
	rev := resp.Header.Revision // every task and route key is at or below it
	mgRev := resp.Kvs[0].ModRevision
	now := time.Now().Unix()
	mg := logagent.Task{Path: "/data/mg_*.log", Topic: "mglogs"}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		s.put(key, string(b))
	}
	put(logagent.StatusKey("web-1"), logagent.Status{Agent: "web-1", Version: "v1.2.0", Rev: rev, KafkaReady: true, UpdatedUnix: now,
		Tasks: []logagent.TaskStatus{{Name: "mg", Task: mg, Files: []logagent.FileStatus{
			{Path: "/data/mg_2020-06-23-18.log", FileID: "f1", Acked: 4096, Size: 4096},
			{Path: "/data/mg_2020-06-23-19.log", FileID: "f2", Acked: 1024, Size: 3072, LagByte: 2048},
		}}},
		Rejected: []conf.Rejection{{Key: "/logagent/web-1/tasks/bad", Reason: `path: "x.log": must be absolute`}}})
	// web-2 applied a revision older than a task it follows, names an HTTP
	// address nobody answers on, and has a failing task.
	put(logagent.StatusKey("web-2"), logagent.Status{Agent: "web-2", Version: "v1.2.0", Rev: mgRev - 1, FromCache: true, UpdatedUnix: now,
		HTTP: "127.0.0.1:1", Tasks: []logagent.TaskStatus{{Name: "mg", Task: mg, Health: conf.Health{State: conf.StateFailing,
			Reason: `topic "mglogs": TOPIC_AUTHORIZATION_FAILED`, Since: time.Unix(now-60, 0)}, OpenFiles: 2}}})
	put(logtransfer.StatusKey("lt-1"), logtransfer.Status{Instance: "lt-1", Version: "v1.2.0", Rev: rev, UpdatedUnix: now,
		InflightB: 2 << 20, LastError: "sending bulk: 429 Too Many Requests",
		Routes: []logtransfer.RouteStatus{{Name: "mglogs", Route: logtransfer.Route{Topic: "mglogs"}, Group: "logtransfer-mglogs",
			Health:     conf.Health{State: conf.StateFailing, Since: time.Now(), Reason: "cluster_block_exception: index [mglogs] blocked by: [FORBIDDEN/8/index write (api)];"},
			Partitions: []logtransfer.PartitionStatus{{Partition: 0, Committed: 120, Lag: 3, Inflight: 3}, {Partition: 1, Committed: -1}}}},
		Rejected: []conf.Rejection{{Key: "/logtransfer/routes/Bad", Reason: "route name \"Bad\": want 1-100 of [a-z0-9._-]"}}})

	out := s.ok("status")
	mustContain(t, out,
		"AGENT", "APPLIED", "web-1", "/data/mg_2020-06-23-19.log", "2.0 KiB",
		"TRANSFER", "lt-1", "logtransfer-mglogs", "120", "2.0 MiB", "last error: sending bulk: 429",
		"STATE", "failing since", "blocked by: [FORBIDDEN/8/index write (api)]",
		"REJECTED BY", "/logagent/web-1/tasks/bad", "must be absolute", "/logtransfer/routes/Bad")
	row := func(prefix string) string { return statusRow(t, out, prefix) }
	if l := row("web-2 "); !strings.Contains(l, fmt.Sprintf("edit not applied yet (keys at revision %d, applied %d)", mgRev, mgRev-1)) ||
		!strings.Contains(l, "running its cached snapshot") || !strings.Contains(l, "NOT READY") ||
		!strings.Contains(l, "files unavailable: agent at 127.0.0.1:1") {
		t.Errorf("web-2 is behind, on its cache, without Kafka and its HTTP address; its row says:\n%s", l)
	}
	mustContain(t, out, "STATE", "failing", "TOPIC_AUTHORIZATION_FAILED")
	if l := row("web-1 "); strings.Contains(l, "not applied") || !strings.Contains(l, "1 key(s) rejected") {
		t.Errorf("web-1 is up to date with one rejected key; its row says:\n%s", l)
	}
	if l := row("web-3 "); !strings.Contains(l, "no status key") {
		t.Errorf("web-3 has a task but no status; its row says:\n%s", l)
	}

	var rep statusReport
	decodeJSON(t, s.ok("status", "-o", "json"), &rep)
	pending := map[string]bool{}
	for _, a := range rep.Agents {
		pending[a.Status.Agent] = a.Pending
	}
	if len(rep.Agents) != 3 || pending["web-1"] || !pending["web-2"] || pending["web-3"] {
		t.Errorf("status -o json agents: %+v", rep.Agents)
	}
	if len(rep.Transfers) != 1 || rep.Transfers[0].Pending || rep.Transfers[0].Status.Routes[0].Partitions[0].Lag != 3 {
		t.Errorf("status -o json transfers: %+v", rep.Transfers)
	}

	// A route edit the instance has not applied yet shows.
	s.ok("route", "add", "nginx", "--topic", "nginx")
	mustContain(t, statusRow(t, s.ok("status"), "lt-1 "), "edit not applied yet")
}

// statusRow is the line of out that starts with prefix.
func statusRow(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line starting with %q in\n%s", prefix, out)
	return ""
}

func TestStatusOfARunningAgent(t *testing.T) {
	s := newStack(t)
	k := s.withKafka()
	logs := t.TempDir()
	file := filepath.Join(logs, "mg_2020-06-23-18.log")
	if err := os.WriteFile(file, []byte(strings.Repeat("GET /mg 200\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "mg", "--agent", "agent-1", "--path", filepath.Join(logs, "mg_*.log"), "--topic", "mglogs")

	startAgent(t, s, k, nil)

	size := int64(len("GET /mg 200\n") * 100)
	waitStatus(t, s.cli, logagent.StatusKey("agent-1"), func(st logagent.Status) bool {
		return len(st.Tasks) == 1 && st.Tasks[0].OpenFiles == 1 && st.Tasks[0].LagBytes == 0 && st.KafkaReady
	})
	out := s.ok("status")
	mustContain(t, statusRow(t, out, "agent-1 "), "ready", " 1 ", "0 B")
	mustContain(t, out, file, fmt.Sprint(size), "STATE", "running")
	var rep statusReport
	decodeJSON(t, s.ok("status", "-o", "json"), &rep)
	if len(rep.Agents) != 1 || rep.Agents[0].Pending {
		t.Errorf("a running agent that applied its only task is reported %+v", rep.Agents)
	}
}

// waitStatus waits, by watching etcd, until the JSON status at key meets cond.
func waitStatus(t *testing.T, cli *clientv3.Client, key string, cond func(logagent.Status) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	check := func(v []byte) bool {
		var st logagent.Status
		return json.Unmarshal(v, &st) == nil && cond(st)
	}
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) == 1 && check(resp.Kvs[0].Value) {
		return
	}
	var last []byte
	for wr := range cli.Watch(ctx, key, clientv3.WithRev(resp.Header.Revision+1)) {
		for _, ev := range wr.Events {
			if last = ev.Kv.Value; check(last) {
				return
			}
		}
	}
	t.Fatalf("status %s never met the condition; last value:\n%s", key, last)
}
