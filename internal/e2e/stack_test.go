//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/internal/mirror"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/prometheus/client_golang/prometheus"
)

// Names the suite registers in etcd.
const (
	agentID    = "e2e-agent"
	transferID = "e2e-transfer"
	topic      = "chaos"
	indices    = topic + "-*"
)

// agentINI and transferINI are the daemons' files: short intervals so
// faults and restarts show up within seconds; everything else default.
const agentINI = `[agent]
id = %s
state_dir = %s
allowed_paths = %s
scan_frequency = 100ms
poll_interval = 50ms
save_interval = 100ms
[etcd]
endpoints = %s
[kafka]
brokers = %s
linger = 5ms
[http]
listen = 127.0.0.1:0
[log]
level = warn
`

const transferINI = `[transfer]
id = %s
state_dir = %s
commit_interval = 200ms
[elasticsearch]
urls = %s
flush_interval = 100ms
retry_backoff_max = 2s
timeout = 5s
[etcd]
endpoints = %s
[kafka]
brokers = %s
[http]
listen = 127.0.0.1:0
[log]
level = warn
`

// stack is one scenario's world: infrastructure in this process, the
// daemons as subprocesses.
type stack struct {
	t          *testing.T
	dir, logs  string
	etcd       *devstack.Etcd
	cloud, idc *devstack.Kafka
	es         *esdev.Server
	agent      *daemon
	transfer   *daemon

	// midnight, when set by withMidnightIn, is a local midnight of the
	// transfer's time zone, zone (its name, and ZONEINFO in the env).
	midnight time.Time
	zone     string
	zoneEnv  []string

	mu         sync.Mutex
	stopMirror func()
}

// stackOption changes a stack before its daemons start (after etcd, the
// brokers and the Elasticsearch stand-in did).
type stackOption func(*stack)

// newStack starts everything and registers the task and the route; the
// daemons and the mirror run when it returns.
func newStack(t *testing.T, opts ...stackOption) *stack {
	dir := t.TempDir()
	s := &stack{t: t, dir: dir, logs: filepath.Join(dir, "logs")}
	if err := os.Mkdir(s.logs, 0o750); err != nil {
		t.Fatal(err)
	}
	s.etcd = devstack.NewEtcd(t)
	s.cloud, s.idc = devstack.NewKafka(t), devstack.NewKafka(t)
	s.es = esdev.New()
	if err := s.es.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.es.Close() })

	for _, o := range opts {
		o(s)
	}
	agentIni := s.writeINI("logagent.ini", fmt.Sprintf(agentINI, agentID, filepath.Join(dir, "agent"), s.logs,
		s.etcd.Endpoint(), strings.Join(s.cloud.Addrs(), ",")))
	s.register()
	s.startMirror(mirror.DefaultGroup)
	s.transfer = newDaemon(t, dir, "logtransfer", s.transferConfig(transferID, "transfer"))
	s.transfer.env = s.zoneEnv
	s.transfer.start()
	s.agent = newDaemon(t, dir, "logagent", agentIni)
	s.agent.start()
	return s
}

// transferConfig writes the ini of a transfer with this id keeping its
// state in the stack's directory under name, and returns its path. Every
// transfer of the stack joins the same consumer groups.
func (s *stack) transferConfig(id, name string) string {
	ini := fmt.Sprintf(transferINI, id, filepath.Join(s.dir, name), s.es.URL(), s.etcd.Endpoint(), strings.Join(s.idc.Addrs(), ","))
	if s.zone != "" {
		ini = strings.Replace(ini, "[transfer]\n", "[transfer]\ntimezone = "+s.zone+"\n", 1)
	}
	return s.writeINI(name+".ini", ini)
}

func (s *stack) writeINI(name, body string) string {
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// register puts the task and the route into etcd, as an operator would.
func (s *stack) register() {
	task, _ := json.Marshal(logagent.Task{Path: filepath.Join(s.logs, "app-*.log"), Topic: topic, From: logagent.FromBeginning})
	route, _ := json.Marshal(logtransfer.Route{Topic: topic})
	cli := devstack.NewEtcdClient(s.t, s.etcd)
	for key, val := range map[string][]byte{logagent.TaskKey(agentID, "app"): task, logtransfer.RouteKey(topic): route} {
		if _, err := cli.Put(s.t.Context(), key, string(val)); err != nil {
			s.t.Fatalf("registering %s: %v", key, err)
		}
	}
}

// startMirror runs a mirror cloud→idc consuming as group, in place of the
// running one (which is stopped first). A new group starts from the
// beginning of the cloud topics, so it copies everything again.
func (s *stack) startMirror(group string) {
	s.stopCurrentMirror()
	cfg := mirror.DefaultConfig()
	cfg.SourceBrokers, cfg.TargetBrokers, cfg.Group = s.cloud.Addrs(), s.idc.Addrs(), group
	m, err := mirror.New(cfg, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			s.t.Logf("mirror %s: %v", group, err)
		}
	}()
	s.mu.Lock()
	s.stopMirror = func() { cancel(); <-done }
	s.mu.Unlock()
	s.t.Cleanup(s.stopCurrentMirror)
}

func (s *stack) stopCurrentMirror() {
	s.mu.Lock()
	stop := s.stopMirror
	s.stopMirror = nil
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// drain waits until the index holds want documents (or timeout, leaving
// the shortfall to the oracle), then stops the daemons and the mirror
// gracefully, so that copies still in flight get indexed before counting.
func (s *stack) drain(want int, timeout time.Duration) {
	s.t.Helper()
	devstack.Poll(timeout, func() bool { return s.es.Count(indices) >= want })
	s.agent.stop()
	s.stopCurrentMirror()
	s.transfer.stop()
}

// newTransfer is a further transfer of the stack, not started, logging and
// keeping its state under name: it shares the consumer groups of the first.
func (s *stack) newTransfer(id, name string) *daemon {
	dir := filepath.Join(s.dir, name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		s.t.Fatal(err)
	}
	d := newDaemon(s.t, dir, "logtransfer", s.transferConfig(id, name))
	d.env = s.zoneEnv
	return d
}

// agentConfigWith writes, as name, the agent's ini with keys added to its
// [kafka] section, and returns its path: restart the agent with it.
func (s *stack) agentConfigWith(name, kafkaKeys string) string {
	body, err := os.ReadFile(s.agent.ini)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.writeINI(name, strings.Replace(string(body), "[kafka]\n", "[kafka]\n"+kafkaKeys+"\n", 1))
}
