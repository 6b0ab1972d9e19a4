package devstack

import (
	"testing"
	"time"
)

// WaitFor polls cond until it holds, failing the test with what after
// timeout: tests wait on conditions with deadlines, never on fixed sleeps.
func WaitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
