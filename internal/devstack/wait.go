package devstack

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing the test with what after
// timeout: tests wait on conditions with deadlines, never on fixed sleeps.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	if !Poll(timeout, cond) {
		tb.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}

// Poll is WaitFor for a wait whose timeout is not a failure but a verdict
// the caller reports (a table row, the oracle's shortfall): it polls cond
// until it holds or timeout passes, and reports whether it held.
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
