package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

// cpuMask is a Linux cpu_set_t of 1024 CPUs.
type cpuMask [16]uint64

func (m *cpuMask) affinity(trap uintptr) error {
	_, _, e := syscall.RawSyscall(trap, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	if e != 0 {
		return e
	}
	return nil
}

// startPinned starts cmd in a process group of its own (a Ctrl-C at the
// terminal reaches the harness only, which then stops its children in
// order; Pdeathsig covers the harness dying without cleaning up) with its CPU affinity set to cpus (all of them
// when cpus is empty). The child inherits the mask of the thread that forks
// it, so the mask is set on a locked thread for the fork and restored after:
// every thread the child ever makes is then pinned, which setting the
// affinity of its pid after the start would not achieve.
func startPinned(cmd *exec.Cmd, cpus []int) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if len(cpus) == 0 {
		return cmd.Start()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		var old, want cpuMask
		if err := old.affinity(syscall.SYS_SCHED_GETAFFINITY); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("sched_getaffinity: %w", err)
			return
		}
		for _, c := range cpus {
			want[c/64] |= 1 << (c % 64)
		}
		if err := want.affinity(syscall.SYS_SCHED_SETAFFINITY); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("sched_setaffinity %v: %w", cpus, err)
			return
		}
		err := cmd.Start()
		if rerr := old.affinity(syscall.SYS_SCHED_SETAFFINITY); rerr != nil {
			// NOTE: the thread stays locked and dies with this goroutine
			// rather than run the harness pinned; Pdeathsig then ends the
			// child, so report the failure.
			errc <- fmt.Errorf("restoring the harness's CPU affinity: %w", rerr)
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// pinHarness moves every thread of this process to cpus, so that the
// harness's own work (the line writer, the latency consumer, etcd, the
// garbage collector) runs beside the broker rather than on the shipper's
// core; threads made later inherit the mask from the thread that makes
// them. restore gives every thread the mask this one had before.
func pinHarness(cpus []int) (restore func(), err error) {
	if len(cpus) == 0 {
		return func() {}, nil
	}
	var old, want cpuMask
	if err := old.affinity(syscall.SYS_SCHED_GETAFFINITY); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	for _, c := range cpus {
		want[c/64] |= 1 << (c % 64)
	}
	if err := setThreads(&want); err != nil {
		_ = setThreads(&old)
		return nil, err
	}
	return func() { _ = setThreads(&old) }, nil
}

// setThreads sets the CPU affinity of every thread of this process to m. A
// thread that exits meanwhile is skipped.
func setThreads(m *cpuMask) error {
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tids {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
		if e != 0 && e != syscall.ESRCH {
			return fmt.Errorf("sched_setaffinity of thread %d: %w", tid, e)
		}
	}
	return nil
}
