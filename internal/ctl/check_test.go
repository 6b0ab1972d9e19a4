package ctl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/check"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
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

// TestCheckSteps checks the daemons' -check-deps (check.Agent,
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
	if err := check.Agent(t.Context(), agentCfg, &out, 5*time.Second); err != nil {
		t.Fatalf("check.Agent: %v\n%s", err, out.String())
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

// TestCheckKafkaACLs checks a client the broker's ACLs let read a topic
// and use one consumer group, but not write: over SASL PLAIN, the agent's
// produce step fails and names the missing permission, the transfer's
// consume steps pass, and fail for a group prefix it may not use.
func TestCheckKafkaACLs(t *testing.T) {
	s := newStack(t)
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) kfake.ACL {
		return kfake.ACL{Resource: rt, Name: name, Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: op, Allow: true}
	}
	topic, group := kmsg.ACLResourceTypeTopic, kmsg.ACLResourceTypeGroup
	k := devstack.NewKafka(t, kfake.EnableSASL(), kfake.EnableACLs(), kfake.Superuser("PLAIN", "admin", "admin-pass"),
		kfake.SeedTopics(2, "mglogs"),
		kfake.User("PLAIN", "reader", "reader-pass", allow(topic, "mglogs", kmsg.ACLOperationDescribe),
			allow(topic, "mglogs", kmsg.ACLOperationRead), allow(group, "logtransfer-mglogs", kmsg.ACLOperationDescribe),
			allow(group, "logtransfer-mglogs", kmsg.ACLOperationRead)))
	s.ok("task", "add", "mg", "--agent", "all", "--path", "/data/*.log", "--topic", "mglogs")
	s.ok("route", "add", "mglogs", "--topic", "mglogs")
	s.env[EnvBrokers] = strings.Join(k.Addrs(), ",")
	s.env["LOGPIPE_KAFKA_SASL"], s.env["LOGPIPE_KAFKA_USER"], s.env["LOGPIPE_KAFKA_PASSWORD"] = "PLAIN", "reader", "reader-pass"
	s.env[EnvES] = s.newES().URL()

	r := s.run("check")
	if r.code != ExitFailure {
		t.Errorf("check of a client that may not write: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, stepResult(t, r.stdout, "kafka "+k.Addrs()[0]), "ok: 1 broker(s), plaintext, SASL PLAIN as reader")
	mustContain(t, stepResult(t, r.stdout, "kafka topic mglogs (produce)"), "failed: 2 partition(s), but this client may not write it")
	if strings.Contains(r.stdout+r.stderr, "reader-pass") {
		t.Errorf("check prints the SASL password")
	}

	transferINI := filepath.Join(t.TempDir(), "logtransfer.ini")
	ini := fmt.Sprintf("[transfer]\nstate_dir = %s\n[kafka]\nbrokers = %s\nsasl_mechanism = PLAIN\nsasl_username = reader\nsasl_password = reader-pass\n",
		t.TempDir(), k.Addrs()[0])
	if err := os.WriteFile(transferINI, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	out := s.ok("check", "--config", transferINI)
	mustContain(t, stepResult(t, out, "kafka topic mglogs (consume)"), "ok: 2 partition(s), read allowed")
	mustContain(t, stepResult(t, out, "kafka group logtransfer-mglogs (consume)"), "ok: no such group yet", "join and commit allowed")

	if err := os.WriteFile(transferINI, []byte(ini+"group = other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = s.run("check", "--config", transferINI)
	if r.code != ExitFailure {
		t.Errorf("check of a group the client may not use: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, stepResult(t, r.stdout, "kafka group other-mglogs (consume)"), "failed: ", "not authorized to access this group")
}

// TestCheckESPrivileges answers the security API the way a cluster with
// security does (the stand-in has none): the missing privileges are named,
// for the routes' index patterns.
func TestCheckESPrivileges(t *testing.T) {
	s := newStack(t)
	s.withKafka()
	s.ok("route", "add", "mglogs", "--topic", "mglogs", "--index", "mglogs-{yyyy.MM}")
	es := esdev.New()
	var asked atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_security/user/_has_privileges" {
			es.Handler().ServeHTTP(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		asked.Store(string(b))
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"username":"indexer","has_all_requested":false,`+
			`"cluster":{"manage_index_templates":true,"manage_ilm":false},`+
			`"index":{"mglogs-*":{"create_doc":true,"create_index":false}}}`)
	}))
	defer srv.Close()
	s.env[EnvES] = srv.URL

	r := s.run("check")
	if r.code != ExitFailure {
		t.Errorf("check without privileges: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, stepResult(t, r.stdout, "elasticsearch privileges"),
		"failed: missing privileges: create_index on mglogs-*, manage_ilm")
	if got, _ := asked.Load().(string); !strings.Contains(got, `"names":["mglogs-*"]`) {
		t.Errorf("the privileges asked about are %s, want the route's pattern mglogs-*", got)
	}
}
