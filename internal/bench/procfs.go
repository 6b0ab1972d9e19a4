package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on
// every Linux architecture).
const userHZ = 100

// statFields are the fields of /proc/<pid>/stat from field 3 (state) on, at
// least n of them.
func statFields(pid, n int) ([][]byte, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < n {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	return f, nil
}

// cpuTime is the user+system CPU time a process has used so far.
func cpuTime(pid int) (time.Duration, error) {
	f, err := statFields(pid, 13)
	if err != nil {
		return 0, err
	}
	// f[0] is field 3 (state): utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// memory returns a process's resident set now and its peak (VmHWM) since it
// started or since resetPeak, in bytes.
func memory(pid int) (rss, peak int64, err error) {
	v, err := statusKB(pid, "VmRSS", "VmHWM")
	if err != nil {
		return 0, 0, err
	}
	return v[0], v[1], nil
}

// statusKB reads "kB" fields of /proc/<pid>/status, in bytes, in the order
// named; a field the kernel does not report reads 0.
func statusKB(pid int, names ...string) ([]int64, error) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	field := func(name string) int64 {
		_, rest, ok := bytes.Cut(st, []byte("\n"+name+":"))
		if !ok {
			return 0
		}
		line, _, _ := bytes.Cut(rest, []byte("\n"))
		f := bytes.Fields(line) // "1234 kB"
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(string(f[0]), 10, 64)
		return n << 10
	}
	v := make([]int64, len(names))
	for i, name := range names {
		v[i] = field(name)
	}
	return v, nil
}

// resetPeak restarts a process's VmHWM at its current RSS.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// rssWatch samples a process's RSS until stopped and keeps the peak: the
// larger of the highest sample and the kernel's VmHWM since the watch began.
type rssWatch struct {
	pid    int
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	peak   int64
	hwmOK  bool // VmHWM was reset when the watch began, so it counts
}

// watchRSS starts sampling pid every 100 ms, from a reset peak.
func watchRSS(pid int) *rssWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &rssWatch{pid: pid, cancel: cancel}
	w.hwmOK = resetPeak(pid) == nil
	w.sample(false)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.sample(false)
			}
		}
	}()
	return w
}

func (w *rssWatch) sample(withHWM bool) {
	rss, hwm, err := memory(w.pid)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.peak = max(w.peak, rss)
	if withHWM && w.hwmOK {
		w.peak = max(w.peak, hwm)
	}
}

// stop ends sampling and returns the peak in bytes. Call it while the
// process still runs, so VmHWM is read.
func (w *rssWatch) stop() int64 {
	w.cancel()
	w.wg.Wait()
	w.sample(true)
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// processGroup is the process group id of pid (field 5 of /proc/<pid>/stat).
func processGroup(pid int) (int, error) {
	f, err := statFields(pid, 3)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(f[2]))
}
