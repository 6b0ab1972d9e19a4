package logtransfer

import (
	"fmt"
	"github.com/logpipe/logpipe/internal/devstack"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKill9WhileBulksInFlight builds cmd/logtransfer, kills it with
// SIGKILL while bulk requests are in flight, starts it again and checks
// that every record became exactly one document: nothing committed ahead of
// the index was lost, and what was re-consumed collapsed into 409s.
func TestKill9WhileBulksInFlight(t *testing.T) {
	e := newEnv(t)
	bin := filepath.Join(t.TempDir(), "logtransfer")
	build := exec.Command("go", "build", "-o", bin, "../cmd/logtransfer")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const n = 1000
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	e.produce("mglogs", "a", 0, n, time.Time{})
	state := t.TempDir()
	ini := filepath.Join(t.TempDir(), "logtransfer.ini")
	body := fmt.Sprintf(`[transfer]
id = crash
state_dir = %s
commit_interval = 100ms
[elasticsearch]
urls = %s
bulk_actions = 50
flush_interval = 20ms
retry_backoff = 20ms
retry_backoff_max = 200ms
[etcd]
endpoints = %s
[kafka]
brokers = %s
group = lt
[http]
listen = 127.0.0.1:0
`, state, e.es.URL(), e.etcd.Endpoint(), strings.Join(e.kafka.Addrs(), ","))
	if err := os.WriteFile(ini, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", ini)
		cmd.Stderr = devstack.TestLog{TB: t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	e.es.SetDelay(50 * time.Millisecond) // keep bulks in flight
	first := run()
	devstack.WaitFor(t, 60*time.Second, "some documents", func() bool { return e.count("mglogs-*") >= n/5 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	indexed := e.count("mglogs-*")
	if indexed >= n {
		t.Fatalf("all %d indexed before the kill; the test needs bulks in flight", indexed)
	}
	e.es.SetDelay(0)
	second := run()
	defer func() { _ = second.Process.Signal(syscall.SIGTERM); _ = second.Wait() }()
	devstack.WaitFor(t, 60*time.Second, "N documents", func() bool { return e.count("mglogs-*") == n })
	devstack.WaitFor(t, 20*time.Second, "N offsets committed", func() bool { return e.committed("lt-mglogs", "mglogs") == n })
	if got := e.count("mglogs-*"); got != n {
		t.Fatalf("documents = %d, want exactly %d", got, n)
	}
	t.Logf("killed with %d of %d indexed; %d re-deliveries collapsed into 409s", indexed, n, e.es.Stats().Conflicts)
}
