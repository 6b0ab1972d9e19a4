package ctl

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// TestUnreachableServices checks that a service nobody listens for is a clean
// error naming it, exit 1, within --timeout: never a hang.
func TestUnreachableServices(t *testing.T) {
	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := map[string]string{EnvEtcd: addr, EnvBrokers: addr, EnvES: "http://" + addr}
	const timeout = 500 * time.Millisecond
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"etcd task ls", []string{"task", "ls"}, "etcd " + addr + " unreachable: context deadline exceeded"},
		{"etcd task add", []string{"task", "add", "mg", "--agent", "all", "--path", "/a/*.log", "--topic", "t"}, "etcd " + addr + " unreachable"},
		{"etcd status", []string{"status"}, "etcd " + addr + " unreachable"},
		{"kafka lag", []string{"lag"}, "kafka " + addr + " unreachable"},
		{"kafka lag group", []string{"lag", "-group", "g"}, "kafka " + addr + " unreachable"},
		{"elasticsearch search", []string{"search", "*"}, "elasticsearch http://" + addr + " unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := runWith(t, env, append([]string{"--timeout", timeout.String()}, tt.args...)...)
			if took := time.Since(start); took > timeout+2*time.Second {
				t.Errorf("took %s with --timeout %s", took, timeout)
			}
			if r.code != ExitFailure {
				t.Errorf("exit %d, want %d", r.code, ExitFailure)
			}
			if !strings.HasPrefix(r.stderr, "logctl: "+tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", r.stderr, "logctl: "+tt.want)
			}
		})
	}
}
