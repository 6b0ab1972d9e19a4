package ctl

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// startAgent runs agent-1 against the stack until the test ends, saving
// positions every 100 ms (a reship's range is capped at them); edit adjusts
// the fast-ticking configuration.
func startAgent(t *testing.T, s *stack, k *devstack.Kafka, edit func(*logagent.Config)) {
	t.Helper()
	s.runAgent("agent-1", k, func(c *logagent.Config) {
		c.Agent.SaveInterval = 100 * time.Millisecond
		if edit != nil {
			edit(c)
		}
	})
}

// runDaemon runs a daemon's Run until the test ends, then checks its error.
func runDaemon(t *testing.T, what string, run func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", what, err)
		}
	})
}

// startTransfer runs a logtransfer into es until the test ends and returns
// its metrics registry.
func startTransfer(t *testing.T, s *stack, k *devstack.Kafka, es *esdev.Server) *prometheus.Registry {
	t.Helper()
	cfg := logtransfer.DefaultConfig()
	cfg.Transfer.ID = "transfer-1"
	cfg.Transfer.StateDir = t.TempDir()
	cfg.Transfer.CommitInterval = 100 * time.Millisecond
	cfg.Transfer.ShutdownTimeout = 4 * time.Second
	cfg.Elasticsearch.URLs = []string{es.URL()}
	cfg.Elasticsearch.FlushInterval = 20 * time.Millisecond
	cfg.Etcd.Endpoints = []string{s.etcd.Endpoint()}
	cfg.Etcd.DialTimeout = time.Second
	cfg.Kafka.Brokers = k.Addrs()
	cfg.Kafka.Group = "lt"
	reg := ops.NewRegistry()
	tr, err := logtransfer.New(cfg, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	runDaemon(t, "transfer", tr.Run)
	return reg
}

// counterSum is the sum of a counter family's series in reg.
func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestReshipFillsTheGap is 补录 end to end: the agent shipped 100 lines, the
// cloud Kafka the transfer reads kept only lines 0-29 and 70-99 (the window
// 30-69 was deleted before it was indexed). `logctl reship add` of lines
// 20-79 fills the gap: the index then holds each of the 100 lines exactly
// once, the 20 lines it already held answered 409.
func TestReshipFillsTheGap(t *testing.T) {
	s := newStack(t)
	k := s.withKafka()
	es := esdev.New()
	if err := es.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { es.Close() })
	logs := t.TempDir()
	file := filepath.Join(logs, "app.log")
	var b strings.Builder
	offs := []int{0}
	for i := range 100 {
		fmt.Fprintf(&b, "app line=%06d GET /api/items/%d 200\n", i, i)
		offs = append(offs, b.Len())
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s.ok("task", "add", "app", "--agent", "agent-1", "--path", file, "--topic", "raw")
	startAgent(t, s, k, func(c *logagent.Config) { c.Agent.AllowedPaths = []string{logs} })
	raw, err := devstack.ReadAll(t.Context(), k.Addrs(), "raw", 100)
	if err != nil {
		t.Fatal(err)
	}

	// The cloud cluster as mirrored, minus the lost window.
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs()...), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ids := map[string]bool{}
	for _, r := range raw {
		ids[r.Headers["lp.id"]] = true
		if r.Offset >= 30 && r.Offset < 70 {
			continue
		}
		rec := &kgo.Record{Topic: "cloud", Key: []byte(r.Key), Value: []byte(r.Value)}
		for k, v := range r.Headers {
			rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		if err := cl.ProduceSync(t.Context(), rec).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	s.ok("route", "add", "cloud", "--topic", "cloud")
	reg := startTransfer(t, s, k, es)
	devstack.WaitFor(t, 30*time.Second, "60 lines indexed", func() bool { return es.Count("cloud-*") == 60 })

	s.ok("reship", "add", "fill", "--agent", "agent-1", "--path", file,
		"--from-offset", fmt.Sprint(offs[20]), "--to-offset", fmt.Sprint(offs[80]), "--topic", "cloud")
	devstack.WaitFor(t, 30*time.Second, "reship done", func() bool {
		return strings.Contains(s.ok("reship", "ls"), "done")
	})
	devstack.WaitFor(t, 30*time.Second, "the 20 lines indexed before answered 409", func() bool {
		return counterSum(t, reg, "logtransfer_documents_duplicate_total") == 20
	})
	if n := es.Count("cloud-*"); n != 100 {
		t.Errorf("index holds %d documents, want the 100 lines once each", n)
	}
	for _, r := range raw { // each line under its first id, in its first lp.ts's daily index
		ts, _ := strconv.ParseInt(r.Headers["lp.ts"], 10, 64)
		index := "cloud-" + time.UnixMilli(ts).UTC().Format("2006.01.02")
		if d, ok := es.Doc(index, r.Headers["lp.id"]); !ok || d["message"] != r.Value {
			t.Errorf("%s/%s: %v, want the line %q", index, r.Headers["lp.id"], d, r.Value)
		}
	}
	mustContain(t, s.ok("reship", "ls"), "agent-1", "fill", file, "done", " 60 ")
	mustContain(t, s.ok("reship", "status", "fill", "--agent", "agent-1"), "lines acked", "60", "from time anchors")
	if len(ids) != 100 {
		t.Errorf("raw topic holds %d ids", len(ids))
	}

	// Refused: a file outside allowed_paths; the reason is listed.
	s.ok("reship", "add", "bad", "--agent", "agent-1", "--path", "/etc/hostname", "--topic", "cloud")
	devstack.WaitFor(t, 10*time.Second, "reship refused", func() bool {
		return strings.Contains(s.ok("reship", "ls", "--agent", "agent-1"), "outside allowed_paths")
	})
	s.ok("reship", "rm", "bad", "--agent", "agent-1")
	if r := s.run("reship", "add", "x", "--agent", "all", "--path", file); r.code != ExitUsage {
		t.Errorf("reship for all agents: exit %d, want %d", r.code, ExitUsage)
	}
	if r := s.run("reship", "add", "x", "--agent", "agent-1", "--path", "rel.log"); r.code != ExitUsage || !strings.Contains(r.stderr, "not absolute") {
		t.Errorf("relative path: exit %d %q, want refused", r.code, r.stderr)
	}
	if r := s.run("reship", "add", "x", "--agent", "agent-1", "--path", file, "--from-time", "2026-12-06T10:00:00Z"); r.code != ExitUsage || !strings.Contains(r.stderr, "give both") {
		t.Errorf("half a time window: exit %d %q, want refused", r.code, r.stderr)
	}
}
