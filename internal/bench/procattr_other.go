//go:build !linux

package bench

import (
	"os/exec"
	"syscall"
)

// startPinned starts cmd in a process group of its own. Pinning to CPUs is
// Linux-only; elsewhere the child runs unpinned.
func startPinned(cmd *exec.Cmd, _ []int) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd.Start()
}

// pinHarness is Linux-only; elsewhere the harness runs unpinned.
func pinHarness([]int) (func(), error) { return func() {}, nil }
