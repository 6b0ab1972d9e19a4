package logtransfer

import (
	"context"
	"testing"
)

// TestBudgetShares: a route holds at most its share of the budget, a
// stuck route therefore leaves the others theirs, a record always passes
// when its route holds nothing, and a route leaving grows the others'.
func TestBudgetShares(t *testing.T) {
	b := newBudget(100)
	stuck, live := b.join(), b.join()
	if !stuck.tryAcquire(50) || stuck.tryAcquire(1) {
		t.Fatal("a route takes exactly its share (100/2)")
	}
	if !live.tryAcquire(50) || live.tryAcquire(1) {
		t.Fatal("the other route keeps its whole share beside a full one")
	}
	live.release(50)
	third := b.join() // shares shrink to 33
	if !third.tryAcquire(200) {
		t.Fatal("a record larger than the share passes when its route holds nothing")
	}
	if stuck.tryAcquire(1) {
		t.Fatal("a route over its new share takes nothing more")
	}
	third.release(200)
	if !live.tryAcquire(33) || live.tryAcquire(1) {
		t.Fatal("a route takes its new share (100/3)")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- live.acquire(ctx, 10) }()
	third.leave() // shares grow to 50: the waiter fits now
	if err := <-done; err != nil {
		t.Fatalf("acquire after a route left: %v", err)
	}
	cancel()
	if err := live.acquire(ctx, 10); err == nil {
		t.Fatal("acquire over the share returned nil after ctx ended")
	}
	if got := b.InUse(); got != 50+33+10 {
		t.Fatalf("InUse = %d, want 93", got)
	}
}
