package logagent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/ops"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// env is one test's real infrastructure: embedded etcd, an in-process
// Kafka-protocol broker, a log directory and a state directory.
type env struct {
	t     *testing.T
	etcd  *devstack.Etcd
	cli   *clientv3.Client
	kafka *devstack.Kafka
	logs  string
	state string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, func(tb testing.TB) *devstack.Kafka { return devstack.NewKafka(tb) })
}

// newEnvWith is newEnv with the Kafka cluster newKafka starts.
func newEnvWith(t *testing.T, newKafka func(testing.TB) *devstack.Kafka) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	e := &env{t: t, etcd: devstack.NewEtcd(t), kafka: newKafka(t), logs: t.TempDir(), state: t.TempDir()}
	e.cli = devstack.NewEtcdClient(t, e.etcd)
	return e
}

// config is a fast-ticking agent configuration pointing at the env.
func (e *env) config() Config {
	c := DefaultConfig()
	c.Agent.ID = "agent-1"
	c.Agent.StateDir = e.state
	c.Agent.ScanFrequency = 100 * time.Millisecond
	c.Agent.PollInterval = 50 * time.Millisecond
	c.Agent.SaveInterval = 100 * time.Millisecond
	c.Agent.StatusInterval = 500 * time.Millisecond
	c.Agent.StatusTTL = 5 * time.Second
	c.Agent.ShutdownTimeout = 5 * time.Second
	c.Etcd.Endpoints = []string{e.etcd.Endpoint()}
	c.Etcd.DialTimeout = time.Second
	c.Kafka.Brokers = e.kafka.Addrs()
	c.Kafka.Linger = 5 * time.Millisecond
	c.Kafka.RetryBackoff = 50 * time.Millisecond
	c.Kafka.RetryBackoffMax = 500 * time.Millisecond
	c.HTTP.Listen = "127.0.0.1:0"
	return c
}

type runningAgent struct {
	*Agent
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs an agent until the returned agent's stop (or test cleanup).
func (e *env) start(cfg Config) *runningAgent {
	e.t.Helper()
	return e.startWithLog(cfg, devstack.TestLog{TB: e.t}, slog.LevelInfo)
}

// startWithLog is start with the agent's log going to w at level.
func (e *env) startWithLog(cfg Config, w io.Writer, level slog.Level) *runningAgent {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	a, err := New(cfg, log, ops.NewRegistry())
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{Agent: a, cancel: cancel, done: make(chan error, 1)}
	go func() { ra.done <- a.Run(ctx) }()
	e.t.Cleanup(func() { ra.stop(e.t) })
	return ra
}

func (ra *runningAgent) stop(t *testing.T) {
	ra.once.Do(func() {
		ra.cancel()
		select {
		case err := <-ra.done:
			if err != nil {
				t.Errorf("agent Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("agent did not stop within 30s")
		}
	})
}

func (e *env) putTask(agent, name string, t Task) {
	e.t.Helper()
	b, _ := json.Marshal(t)
	e.put(TaskKey(agent, name), string(b))
}

func (e *env) put(key, val string) {
	e.t.Helper()
	if _, err := e.cli.Put(e.t.Context(), key, val); err != nil {
		e.t.Fatal(err)
	}
}

// writeLines appends lines "<tag> <i> ..." numbered from first.
func writeLines(t *testing.T, path, tag string, first, n int) []string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	out := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		l := lineText(tag, i)
		out = append(out, l)
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
	return out
}

// lineText is the i-th test line of tag: sortable, realistic length.
func lineText(tag string, i int) string {
	return fmt.Sprintf("%s line=%06d GET /api/v1/items/%d HTTP/1.1 200 %d", tag, i, i*7, i*13)
}

// readDistinct reads topic until it holds want distinct lp.id values.
func (e *env) readDistinct(topic string, want int, timeout time.Duration) []devstack.Record {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.t.Context(), timeout)
	defer cancel()
	recs, err := devstack.ReadUntil(ctx, e.kafka.Addrs(), topic, func(rs []devstack.Record) bool {
		return distinctIDs(rs) >= want
	})
	if err != nil {
		e.t.Fatalf("%v (distinct ids: %d of %d)", err, distinctIDs(recs), want)
	}
	return recs
}

// readUntilDistinct reads until want distinct ids are seen or ctx ends.
func readUntilDistinct(ctx context.Context, e *env, topic string, want int) ([]devstack.Record, error) {
	return devstack.ReadUntil(ctx, e.kafka.Addrs(), topic, func(rs []devstack.Record) bool { return distinctIDs(rs) >= want })
}

func distinctIDs(rs []devstack.Record) int {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Headers[hdrID]] = true
	}
	return len(seen)
}

// verify checks that every expected line arrived, that no two different
// lines share an id, and that each file's lines arrived in order (first
// occurrences; re-sends after a crash may repeat a tail).
func verify(t *testing.T, recs []devstack.Record, want map[string][]string) (dups int) {
	t.Helper()
	dups, disorder := verifyLoose(t, recs, want)
	if disorder > 0 {
		t.Errorf("%d lines out of order", disorder)
	}
	return dups
}

// verifyLoose is verify that counts lines out of order instead of failing.
func verifyLoose(t *testing.T, recs []devstack.Record, want map[string][]string) (dups, disorder int) {
	t.Helper()
	byID := map[string]string{}
	got := map[string]bool{}
	var order []string
	for _, r := range recs {
		id := r.Headers[hdrID]
		if prev, ok := byID[id]; ok {
			if prev != r.Value {
				t.Errorf("id %s carries two lines: %q and %q", id, prev, r.Value)
			}
			dups++
			continue
		}
		byID[id] = r.Value
		got[r.Value] = true
		order = append(order, r.Value)
	}
	missing := 0
	for file, lines := range want {
		for _, l := range lines {
			if !got[l] {
				missing++
				if missing <= 5 {
					t.Errorf("missing line from %s: %q", file, l)
				}
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d lines missing", missing)
	}
	// Per-tag order: lines of one file carry one tag and increasing numbers.
	last := map[string]string{}
	for _, v := range order {
		tag := strings.SplitN(v, " ", 2)[0]
		if p, ok := last[tag]; ok && v < p {
			if disorder == 0 {
				t.Logf("first out of order in %s: %q after %q", tag, v, p)
			}
			disorder++
			continue
		}
		last[tag] = v
	}
	return dups, disorder
}

// status reads the agent's status key.
func (e *env) status(agent string) (Status, bool) {
	kv := e.statusKV(agent)
	if kv == nil {
		return Status{}, false
	}
	var st Status
	if err := json.Unmarshal(kv.Value, &st); err != nil {
		e.t.Fatalf("status is not JSON: %v", err)
	}
	return st, true
}

// statusKV is the agent's status key as etcd holds it; nil when absent.
func (e *env) statusKV(agent string) *mvccpb.KeyValue {
	resp, err := e.cli.Get(e.t.Context(), StatusKey(agent))
	if err != nil || len(resp.Kvs) == 0 {
		return nil
	}
	return resp.Kvs[0]
}

func join(parts ...string) string { return filepath.Join(parts...) }
