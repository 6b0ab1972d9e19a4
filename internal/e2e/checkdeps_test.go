//go:build linux

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckDeps runs the built daemons' -check-deps against the secured
// stack: every step ok with the right files, a refused password is a
// failed step and exit 1, no password is printed; -check alone still
// touches no service.
func TestCheckDeps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the built daemons")
	}
	s := newSecureStack(t)
	agentIni, transferIni := s.writeINIs(t, secureTopic)
	canaries := []string{s.sec.kafka, s.sec.etcd, s.sec.es, s.sec.etcdRoot}
	run := func(name string, args ...string) (string, int) {
		t.Helper()
		out, err := exec.Command(filepath.Join(bins, name), args...).CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s → %d\n%s", name, strings.Join(args, " "), code, out)
		for _, c := range canaries {
			if strings.Contains(string(out), c) {
				t.Errorf("%s %v prints a password", name, args)
			}
		}
		return string(out), code
	}
	for _, tt := range []struct {
		daemon, ini string
		want        []string
	}{
		{"logagent", agentIni, []string{"configuration ok", "kafka topic " + secureTopic + " (produce)", "TLS, SASL SCRAM-SHA-512 as " + kafkaUser}},
		{"logtransfer", transferIni, []string{"configuration ok", "kafka topic " + secureTopic + " (consume)", "elasticsearch cluster health"}},
	} {
		out, code := run(tt.daemon, "-config", tt.ini, "-check-deps")
		if code != 0 || strings.Contains(out, "failed:") {
			t.Errorf("%s -check-deps: exit %d", tt.daemon, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s -check-deps lacks %q", tt.daemon, w)
			}
		}
	}

	body, err := os.ReadFile(transferIni)
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong.ini")
	if err := os.WriteFile(wrong, []byte(strings.ReplaceAll(string(body), s.sec.es, "not-the-password")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := run("logtransfer", "-config", wrong, "-check-deps")
	if code != 1 || !strings.Contains(out, "failed: HTTP 401") || strings.Contains(out, "not-the-password") {
		t.Errorf("logtransfer -check-deps with a wrong password: exit %d, want 1 and a failed step without the password", code)
	}

	s.kafka.Stop()
	if out, code := run("logagent", "-config", agentIni, "-check"); code != 0 || strings.TrimSpace(out) != "configuration ok" {
		t.Errorf("logagent -check with Kafka down: exit %d, %q", code, out)
	}
}
