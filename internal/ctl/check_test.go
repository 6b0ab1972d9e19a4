package ctl

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// stepResult finds the line of step in a check's output and returns its
// result ("ok: ..." or "failed: ...").
func stepResult(t *testing.T, out, step string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(l, step+" "); ok {
			return strings.TrimSpace(rest)
		}
	}
	t.Fatalf("no step %q in:\n%s", step, out)
	return ""
}

// TestCheckSteps checks the daemons' -check-deps (CheckAgent,
// CheckTransfer) on the secured stack: each step on its line, a topic the
// tasks name but nobody created yet, a refused password.
func TestCheckSteps(t *testing.T) {
	s := newSecured(t)
	s.produce("mglogs", 1)
	s.secureOK("task", "add", "mg", "--agent", "web-1", "--path", "/data/*.log", "--topic", "mglogs")
	s.secureOK("task", "add", "api", "--agent", "all", "--path", "/data/api.log", "--topic", "api")
	s.secureOK("route", "add", "mglogs", "--topic", "mglogs")
	agentCfg, err := logagent.LoadConfig(s.writeINI("logagent.ini", "[agent]\nid = web-1\nstate_dir = "+t.TempDir()+"\n", false))
	if err != nil {
		t.Fatal(err)
	}
	transferCfg, err := logtransfer.LoadConfig(s.writeINI("logtransfer.ini", "[transfer]\nstate_dir = "+t.TempDir()+"\n", true))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := CheckAgent(t.Context(), agentCfg, &out, 5*time.Second); err != nil {
		t.Fatalf("CheckAgent: %v\n%s", err, out.String())
	}
	s.noCanary("CheckAgent", out.String())
	t.Logf("agent check:\n%s", out.String())
	mustContain(t, stepResult(t, out.String(), "etcd "+s.secEnv[EnvEtcd]), "ok: 2 task(s) under /logagent/web-1/ and /logagent/all/tasks/")
	mustContain(t, stepResult(t, out.String(), "kafka topic mglogs (produce)"), "ok: 4 partition(s), write allowed")
	mustContain(t, stepResult(t, out.String(), "kafka topic api (produce)"), "ok: not created yet")
	if strings.Contains(out.String(), "elasticsearch") {
		t.Errorf("an agent's check tries Elasticsearch:\n%s", out.String())
	}

	out.Reset()
	if err := CheckTransfer(t.Context(), transferCfg, &out, 5*time.Second); err != nil {
		t.Fatalf("CheckTransfer: %v\n%s", err, out.String())
	}
	t.Logf("transfer check:\n%s", out.String())
	mustContain(t, stepResult(t, out.String(), "kafka topic mglogs (consume)"), "read allowed")
	mustContain(t, stepResult(t, out.String(), "elasticsearch cluster health"), "ok: green")

	out.Reset()
	transferCfg.Elasticsearch.Password = "wrong-canary-pass"
	err = CheckTransfer(t.Context(), transferCfg, &out, 5*time.Second)
	if !errors.Is(err, ErrCheckFailed) || strings.Contains(out.String(), "wrong-canary-pass") {
		t.Errorf("check with a wrong password: %v\n%s", err, out.String())
	}
	mustContain(t, stepResult(t, out.String(), "elasticsearch "+s.esURL), "failed: ", "401")
}

// TestCheckFailsFast checks that a bad file and an unreachable service are
// failed steps, exit 1, within the timeout.
func TestCheckFailsFast(t *testing.T) {
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	bad := filepath.Join(t.TempDir(), "logagent.ini")
	if err := os.WriteFile(bad, []byte("[agent]\nmax_inflight_bytes = -1\n[kafka]\nbrokerz = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runWith(t, nil, "check", "--config", bad)
	if r.code != ExitFailure {
		t.Errorf("check of a bad file: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, stepResult(t, r.stdout, "config "+bad), "failed: ", "kafka.brokerz: unknown key")

	env := map[string]string{EnvEtcd: addr, EnvBrokers: addr, EnvES: "http://" + addr}
	start := time.Now()
	r = runWith(t, env, "check", "--timeout", "500ms")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("check of unreachable services took %s", took)
	}
	if r.code != ExitFailure {
		t.Errorf("check of unreachable services: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, stepResult(t, r.stdout, "etcd "+addr), "failed: ")
	mustContain(t, stepResult(t, r.stdout, "kafka "+addr), "failed: ")
	mustContain(t, stepResult(t, r.stdout, "elasticsearch http://"+addr), "failed: ")
}
