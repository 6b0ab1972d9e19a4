//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is one of the real binaries, restartable: each start is a new
// process appending to the same log file, and the peak RSS is kept over
// all of them.
type daemon struct {
	t        *testing.T
	name     string
	ini, log string
	env      []string // added to the test's environment

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current process has been reaped
	peakKB int64
}

func newDaemon(t *testing.T, dir, name, ini string) *daemon {
	d := &daemon{t: t, name: name, ini: ini, log: filepath.Join(dir, name+".log")}
	t.Cleanup(d.kill)
	return d
}

// start runs a new process; the previous one must have ended.
func (d *daemon) start() {
	d.t.Helper()
	lf, err := os.OpenFile(d.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		d.t.Fatal(err)
	}
	defer lf.Close()
	cmd := exec.Command(filepath.Join(bins, d.name), "-config", d.ini)
	cmd.Stdout, cmd.Stderr = lf, lf
	if len(d.env) > 0 {
		cmd.Env = append(os.Environ(), d.env...)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatalf("starting %s: %v", d.name, err)
	}
	done := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.done = cmd, done
	d.mu.Unlock()
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			d.sample(cmd.Process.Pid)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
}

// sample raises the peak to the process's VmHWM (its own peak so far).
func (d *daemon) sample(pid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	_, rest, ok := bytes.Cut(b, []byte("\nVmHWM:"))
	if !ok {
		return
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) == 0 {
		return
	}
	kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
	d.mu.Lock()
	d.peakKB = max(d.peakKB, kb)
	d.mu.Unlock()
}

// signal sends sig to the running process and waits up to wait for it to
// end, then kills it. It reports whether the process ended by itself.
func (d *daemon) signal(sig syscall.Signal, wait time.Duration) bool {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.mu.Unlock()
	if cmd == nil {
		return true
	}
	d.sample(cmd.Process.Pid)
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
		return true
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-done
		return false
	}
}

// kill ends the process with SIGKILL, the way a crash or OOM would.
func (d *daemon) kill() { d.signal(syscall.SIGKILL, time.Minute) }

// stop asks the process to drain and exit, failing the test if it does not
// within its shutdown budget.
func (d *daemon) stop() {
	d.t.Helper()
	if !d.signal(syscall.SIGTERM, 30*time.Second) {
		d.t.Errorf("%s still running 30s after SIGTERM (log %s)", d.name, d.log)
	}
}

// peakMB is the highest resident set of any of its processes.
func (d *daemon) peakMB() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return float64(d.peakKB) / 1024
}
