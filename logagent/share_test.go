package logagent

import (
	"context"
	"testing"
	"time"
)

// TestSharesKeepATaskWithinItsSlots: a task at its share of the read slots
// waits, but its waiter is not in the way of another task's; when a task
// leaves, the shares grow and the waiter gets its slot. Bytes likewise: a
// task's byte share is the budget over the tasks.
func TestSharesKeepATaskWithinItsSlots(t *testing.T) {
	s := newShares(4, 4<<20)
	a, b := s.join(), s.join()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for range 2 {
		if err := a.acquireSlot(ctx); err != nil {
			t.Fatal(err)
		}
	}
	third := make(chan error, 1)
	go func() { third <- a.acquireSlot(ctx) }()
	// b is within its share: it gets a slot although a's waiter came first.
	for range 2 {
		if err := b.acquireSlot(ctx); err != nil {
			t.Fatalf("task b waited behind task a: %v", err)
		}
	}
	select {
	case err := <-third:
		t.Fatalf("task a got a third of 4 slots with 2 tasks (err %v)", err)
	default:
	}
	if got := a.bytes.Acquire(ctx, 3<<20); got != nil {
		t.Fatal(got)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if err := a.bytes.Acquire(short, 1); err == nil {
		t.Error("task a, past its share (half the budget with 2 tasks), got more bytes")
	}
	b.releaseSlot()
	b.releaseSlot()
	s.leave(b)
	if err := <-third; err != nil {
		t.Fatalf("a's waiter after b left: %v", err)
	}
	if err := a.bytes.Acquire(ctx, 1<<20); err != nil {
		t.Errorf("task a alone cannot use the whole budget: %v", err)
	}
}
