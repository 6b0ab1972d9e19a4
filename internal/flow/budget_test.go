package flow

import "testing"

// TestBudgetTryAcquireAndRoom: TryAcquire takes only what fits now (a
// request larger than the limit when nothing is in flight), and Room says
// whether n would fit, taking nothing, with a channel closed at the next
// release otherwise.
func TestBudgetTryAcquireAndRoom(t *testing.T) {
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
	room := b.Room(50)
	if room == nil {
		t.Fatal("Room(50) with 0 of 100 bytes free said it fits")
	}
	b.Release(40)
	<-room // closed by the release
	if room = b.Room(50); room == nil {
		t.Fatal("Room(50) with 40 of 100 bytes free said it fits")
	}
	b.Release(10)
	<-room
	if b.Room(50) != nil {
		t.Fatal("Room(50) with 50 bytes free said it does not fit")
	}
	if got := b.InUse(); got != 50 {
		t.Fatalf("InUse = %d, want 50: Room takes nothing", got)
	}
}
