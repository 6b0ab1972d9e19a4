package logagent

import "testing"

// TestAckTrackerRuns: the position moves over contiguous runs only; a run
// acknowledged ahead of an earlier one waits for it.
func TestAckTrackerRuns(t *testing.T) {
	a := newAckTracker(100)
	var seqs []uint64
	for range 6 {
		seqs = append(seqs, a.add())
	}
	moved := a.Moved()
	a.ackRun(seqs[3], seqs[5], 160) // overtakes 0..2
	if pos, n := a.Position(); pos != 100 || n != 6 {
		t.Fatalf("Position() = %d, %d; want 100, 6", pos, n)
	}
	select {
	case <-moved:
		t.Fatal("moved closed without the position moving")
	default:
	}
	a.ackRun(seqs[0], seqs[1], 120)
	if pos, n := a.Position(); pos != 120 || n != 4 {
		t.Fatalf("Position() = %d, %d; want 120, 4", pos, n)
	}
	select {
	case <-moved:
	default:
		t.Fatal("moved not closed")
	}
	a.ackRun(seqs[2], seqs[2], 130) // closes the gap: 3..5 follow
	if pos, n := a.Position(); pos != 160 || n != 0 {
		t.Fatalf("Position() = %d, %d; want 160, 0", pos, n)
	}
}

func TestAckTrackerUnadd(t *testing.T) {
	a := newAckTracker(0)
	s := a.add()
	a.ackRun(s, s, 5)
	s = a.add()
	a.unadd(s) // never sent
	if off, n := a.Position(); off != 5 || n != 0 {
		t.Fatalf("Position() = %d, %d; want 5, 0", off, n)
	}
	if s2 := a.add(); s2 != s {
		t.Fatalf("sequence after unadd = %d, want %d reused", s2, s)
	}
}

// TestAckTrackerProgressCountsPassedEvents checks that passed counts exactly
// the events below the position, whatever the ack order: logctl audit's
// acked counts (linecount.go) follow it.
func TestAckTrackerProgressCountsPassedEvents(t *testing.T) {
	a := newAckTracker(100)
	var seqs []uint64
	for range 4 {
		seqs = append(seqs, a.add())
	}
	a.ackRun(seqs[1], seqs[1], 120)
	a.ackRun(seqs[3], seqs[3], 140)
	if pos, passed, in := a.Progress(); pos != 100 || passed != 0 || in != 4 {
		t.Fatalf("Progress() = %d, %d, %d; want 100, 0, 4 (the first event holds the position)", pos, passed, in)
	}
	a.ackRun(seqs[0], seqs[0], 110)
	if pos, passed, in := a.Progress(); pos != 120 || passed != 2 || in != 2 {
		t.Fatalf("Progress() = %d, %d, %d; want 120, 2, 2", pos, passed, in)
	}
	s := a.add()
	a.unadd(s) // never sent: not counted
	a.ackRun(seqs[2], seqs[2], 130)
	if pos, passed, in := a.Progress(); pos != 140 || passed != 4 || in != 0 {
		t.Fatalf("Progress() = %d, %d, %d; want 140, 4, 0", pos, passed, in)
	}
}
