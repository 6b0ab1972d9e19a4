package ctl

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/logpipe/logpipe/internal/devstack"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// result is one logctl run.
type result struct {
	code           int
	stdout, stderr string
}

// stack is a test's real services; each starts on first use.
type stack struct {
	t    *testing.T
	etcd *devstack.Etcd
	cli  *clientv3.Client
	env  map[string]string
}

func newStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	s := &stack{t: t, etcd: devstack.NewEtcd(t), env: map[string]string{}}
	s.cli = devstack.NewEtcdClient(t, s.etcd)
	s.env[EnvEtcd] = s.etcd.Endpoint()
	return s
}

// withKafka starts brokers and points logctl at them.
func (s *stack) withKafka() *devstack.Kafka {
	k := devstack.NewKafka(s.t)
	s.env[EnvBrokers] = strings.Join(k.Addrs(), ",")
	return k
}

// run runs logctl in-process with the stack's environment.
func (s *stack) run(args ...string) result {
	s.t.Helper()
	return runWith(s.t, s.env, args...)
}

func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	t.Logf("logctl %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs logctl and fails the test unless it exits 0.
func (s *stack) ok(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	if r.code != 0 {
		s.t.Fatalf("logctl %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func (s *stack) put(key, value string) {
	s.t.Helper()
	if _, err := s.cli.Put(s.t.Context(), key, value); err != nil {
		s.t.Fatal(err)
	}
}

// get returns the value at key, "" when missing.
func (s *stack) get(key string) string {
	s.t.Helper()
	resp, err := s.cli.Get(s.t.Context(), key)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

// keys lists the keys under prefix.
func (s *stack) keys(prefix string) []string {
	s.t.Helper()
	resp, err := s.cli.Get(s.t.Context(), prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, kv := range resp.Kvs {
		out = append(out, string(kv.Key))
	}
	return out
}

// decodeJSON fails the test unless out is one JSON value, and returns it in v.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("-o json output is not the expected JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("-o json output has trailing data:\n%s", out)
	}
}

// mustContain fails unless out contains every one of want.
func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// refusal is a value the daemons reject, and the reason logctl must give.
type refusal struct {
	name   string
	args   []string
	reason string
}

// assertRefused runs cmd with each refusal's arguments and checks the exit
// code, the reason, and that nothing reached etcd below root.
func (s *stack) assertRefused(what, root string, cmd []string, tests []refusal) {
	t := s.t
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(append(cmd, tt.args...)...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d", r.code, ExitUsage)
			}
			mustContain(t, r.stderr, what+" refused", tt.reason)
		})
	}
	if keys := s.keys(root); len(keys) != 0 {
		t.Errorf("refused values reached etcd: %v", keys)
	}
}
