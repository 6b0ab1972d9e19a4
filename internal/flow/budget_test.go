package flow

import (
	"context"
	"testing"
	"time"
)

// TestBudgetTryAcquireAndWaitRoom: TryAcquire takes only what fits now (a
// request larger than the limit when nothing is in flight), and WaitRoom
// returns once n would fit, taking nothing.
func TestBudgetTryAcquireAndWaitRoom(t *testing.T) {
	b := NewBudget(100)
	if !b.TryAcquire(500) {
		t.Fatal("an oversized request on an empty budget was refused")
	}
	if b.TryAcquire(1) {
		t.Fatal("took 1 byte past an oversized request")
	}
	b.Release(500)
	if !b.TryAcquire(60) || b.TryAcquire(41) || !b.TryAcquire(40) {
		t.Fatal("TryAcquire took more or less than fits")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if err := b.WaitRoom(ctx, 50); err == nil {
		t.Fatal("WaitRoom returned with no room")
	}
	done := make(chan error, 1)
	go func() { done <- b.WaitRoom(t.Context(), 50) }()
	b.Release(40)
	select {
	case <-done:
		t.Fatal("WaitRoom returned with 40 of 50 bytes free")
	case <-time.After(10 * time.Millisecond):
	}
	b.Release(10)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := b.InUse(); got != 50 {
		t.Fatalf("InUse = %d after WaitRoom, want 50 (it takes nothing)", got)
	}
}
