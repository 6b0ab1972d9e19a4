package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is a child process of the harness: a daemon under test, the broker
// or the sink. Its stderr goes to a log file in the run's directory, shown
// when a scenario fails.
type Proc struct {
	Name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // valid once done is closed
}

// procSpec says how to start a child.
type procSpec struct {
	name string
	bin  string
	args []string
	env  []string // added to the harness's environment
	cpus []int    // CPU affinity; nil leaves it unpinned
	// addr: wait for an "addr HOST:PORT" line on stdout and return it.
	addr bool
}

// children tracks every running child so a failing or interrupted run
// still stops them all.
type children struct {
	mu    sync.Mutex
	dir   string
	procs map[*Proc]bool
}

func newChildren(dir string) *children { return &children{dir: dir, procs: map[*Proc]bool{}} }

// start starts a child and, with spec.addr, waits up to 30 s for the
// address it prints.
func (c *children) start(spec procSpec) (*Proc, string, error) {
	logPath := fmt.Sprintf("%s/%s.%d.log", c.dir, spec.name, time.Now().UnixNano())
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer lf.Close()
	cmd := exec.Command(spec.bin, spec.args...)
	cmd.Env = append(os.Environ(), spec.env...)
	cmd.Stderr = lf
	var stdout io.ReadCloser
	if spec.addr {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			return nil, "", err
		}
	} else {
		cmd.Stdout = lf
	}
	if err := startPinned(cmd, spec.cpus); err != nil {
		return nil, "", fmt.Errorf("starting %s: %w", spec.name, err)
	}
	p := &Proc{Name: spec.name, cmd: cmd, log: logPath, done: make(chan struct{})}
	c.mu.Lock()
	c.procs[p] = true
	c.mu.Unlock()
	addrCh := make(chan string, 1)
	if spec.addr {
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "addr "); ok {
					select {
					case addrCh <- a:
					default: // only the first address counts
					}
				}
			}
		}()
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
		c.mu.Lock()
		delete(c.procs, p)
		c.mu.Unlock()
	}()
	if !spec.addr {
		return p, "", nil
	}
	select {
	case a := <-addrCh:
		return p, a, nil
	case <-p.done:
		return nil, "", fmt.Errorf("%s exited before listening: %v\n%s", spec.name, p.err, p.Tail())
	case <-time.After(30 * time.Second):
		p.Kill()
		return nil, "", fmt.Errorf("%s printed no address within 30s\n%s", spec.name, p.Tail())
	}
}

// stopAll stops every child still running.
func (c *children) stopAll() {
	c.mu.Lock()
	ps := make([]*Proc, 0, len(c.procs))
	for p := range c.procs {
		ps = append(ps, p)
	}
	c.mu.Unlock()
	for _, p := range ps {
		p.Stop(10 * time.Second)
	}
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and waits up to grace for the child to exit, then
// kills it. It returns the exit error, if any (nil once killed by us).
func (p *Proc) Stop(grace time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s after SIGTERM", p.Name, grace)
	}
}

// Kill sends SIGKILL and waits for the child to be reaped.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Tail is the end of the child's log, for error messages.
func (p *Proc) Tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	const keep = 3000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return fmt.Sprintf("--- %s (%s) ---\n%s", p.Name, p.log, b)
}

// waitUntil polls cond every interval until it returns true, it fails, ctx
// ends, the deadline passes, or one of procs exits.
func waitUntil(ctx context.Context, timeout, interval time.Duration, what string, cond func() (bool, error), procs ...*Proc) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		for _, p := range procs {
			if p.Exited() {
				return fmt.Errorf("waiting for %s: %s exited: %v\n%s", what, p.Name, p.err, p.Tail())
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w after %s", what, errTimeout, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

var errTimeout = errors.New("timed out")
