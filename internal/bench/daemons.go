package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// agentSpec is one logagent run: its id, directory, and the one task it ships.
type agentSpec struct {
	id     string
	dir    string // state and ini live here
	broker string
	glob   string
	topic  string
	pinned bool // GOMAXPROCS=1 on a CPU of its own
	// compression overrides Options.Compression for this run.
	compression string
}

// startAgent registers the agent's task in etcd, writes its ini file
// (defaults but for addresses, so acks=all and snappy as shipped) and starts
// the real binary.
func (e *env) startAgent(ctx context.Context, s agentSpec) (*Proc, error) {
	spec := procSpec{name: "logagent", bin: e.bin("logagent")}
	kafka := "acks = all\n"
	if c := cmp.Or(s.compression, e.opts.Compression); c != "" {
		kafka += "compression = " + c + "\n"
	}
	if s.pinned {
		spec.env, spec.cpus = []string{"GOMAXPROCS=1"}, e.agentCPUs
	}
	return e.launch(ctx, spec, e.opts.TaskKey(s.id, "bench"), map[string]string{"path": s.glob, "topic": s.topic},
		filepath.Join(s.dir, "logagent.ini"), fmt.Sprintf(`[agent]
id = %s
state_dir = %s
%s
[etcd]
endpoints = %s
[kafka]
brokers = %s
%s[http]
listen = 127.0.0.1:0
`, s.id, filepath.Join(s.dir, "agent-state"), e.opts.AgentINI, e.etcd.Endpoint(), s.broker, kafka))
}

// transferSpec is one logtransfer run with one route.
type transferSpec struct {
	id       string
	dir      string
	broker   string
	sink     string // host:port
	topic    string
	inflight int64 // max_inflight_bytes; 0 keeps the default
}

// startTransfer registers a route for the topic and starts the real
// logtransfer binary with default settings pointing at the sink.
func (e *env) startTransfer(ctx context.Context, s transferSpec) (*Proc, error) {
	inflight := ""
	if s.inflight > 0 {
		inflight = fmt.Sprintf("max_inflight_bytes = %d\n", s.inflight)
	}
	return e.launch(ctx, procSpec{name: "logtransfer", bin: e.bin("logtransfer")},
		e.opts.RouteKey(s.topic), map[string]string{"topic": s.topic},
		filepath.Join(s.dir, "logtransfer.ini"), fmt.Sprintf(`[transfer]
id = %s
state_dir = %s
%s[elasticsearch]
urls = http://%s
[etcd]
endpoints = %s
[kafka]
brokers = %s
group = %s
[http]
listen = 127.0.0.1:0
`, s.id, filepath.Join(s.dir, "transfer-state"), inflight, s.sink, e.etcd.Endpoint(), s.broker, s.id))
}

// launch puts key (a task or route) into etcd, writes the daemon's ini
// file and starts it with -config.
func (e *env) launch(ctx context.Context, spec procSpec, key string, value map[string]string, ini, body string) (*Proc, error) {
	v, _ := json.Marshal(value)
	if _, err := e.cli.Put(ctx, key, string(v)); err != nil {
		return nil, fmt.Errorf("putting %s: %w", key, err)
	}
	if err := os.WriteFile(ini, []byte(body), 0o600); err != nil {
		return nil, err
	}
	spec.args = append(spec.args, "-config", ini)
	p, _, err := e.ch.start(spec)
	return p, err
}

// sinkClient talks to a benchsink child.
type sinkClient struct {
	proc *Proc
	addr string
	http *http.Client
}

func (e *env) startSink() (*sinkClient, error) {
	p, addr, err := e.ch.start(procSpec{name: "benchsink", bin: e.bin("benchsink"), addr: true})
	if err != nil {
		return nil, err
	}
	return &sinkClient{proc: p, addr: addr, http: &http.Client{Timeout: 10 * time.Second}}, nil
}

func (s *sinkClient) stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.call(ctx, http.MethodGet, "/_bench/stats", &st)
	return st, err
}

func (s *sinkClient) reset(ctx context.Context) error {
	return s.call(ctx, http.MethodPost, "/_bench/reset", nil)
}

func (s *sinkClient) call(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.addr+path, strings.NewReader(""))
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("benchsink %s: %s", path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
