package flow

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

func TestTrackerContiguous(t *testing.T) {
	tests := []struct {
		name    string
		ends    []int64 // item i ends at ends[i]
		acks    []int   // items acknowledged, in order; -i-1 drops item i; >= len(ends) was never added
		wantPos int64
		wantIn  int
	}{
		{"nothing acked", []int64{1, 2, 3}, nil, 0, 3},
		{"in order", []int64{1, 2, 3}, []int{0, 1}, 2, 1},
		{"gap holds position", []int64{1, 2, 3}, []int{1, 2}, 0, 3},
		{"gap filled", []int64{1, 2, 3}, []int{2, 1, 0}, 3, 0},
		{"sparse offsets (compaction gaps)", []int64{5, 9, 20}, []int{0, 2}, 5, 2},
		{"dropped tail no longer holds", []int64{1, 2, 3}, []int{0, -3}, 1, 1},
		{"unknown and repeated acks ignored", []int64{1, 2}, []int{7, 0, 0}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(0)
			for range tt.ends {
				tr.Add()
			}
			for _, a := range tt.acks {
				switch {
				case a < 0:
					tr.Drop(uint64(-a - 1))
				case a >= len(tt.ends):
					tr.Ack(uint64(a), 99)
				default:
					tr.Ack(uint64(a), tt.ends[a])
				}
			}
			if pos, in := tr.Position(); pos != tt.wantPos || in != tt.wantIn {
				t.Errorf("Position() = %d, %d; want %d, %d", pos, in, tt.wantPos, tt.wantIn)
			}
		})
	}
}

// TestTrackerShuffled acks a long run in random order interleaved with adds
// and checks the position never passes an unacked item.
func TestTrackerShuffled(t *testing.T) {
	tr := NewTracker(0)
	acked := map[int64]bool{}
	var pending []uint64
	for round := 0; round < 20000; round++ {
		if len(pending) == 0 || rand.IntN(3) > 0 {
			pending = append(pending, tr.Add())
			continue
		}
		i := rand.IntN(len(pending))
		n := pending[i]
		tr.Ack(n, int64(n)+1) // item n ends at n+1
		acked[int64(n)+1] = true
		pending = append(pending[:i], pending[i+1:]...)
		pos, _ := tr.Position()
		for o := int64(1); o <= pos; o++ {
			if !acked[o] {
				t.Fatalf("position %d passes unacked %d", pos, o)
			}
		}
	}
}

// TestTrackerRuns: the position moves over contiguous runs only; a run
// acknowledged ahead of an earlier one waits for it.
func TestTrackerRuns(t *testing.T) {
	a := NewTracker(100)
	seqs := addItems(a, 6)
	moved := a.Moved()
	a.AckRun(seqs[3], seqs[5], 160) // overtakes 0..2
	wantProgress(t, a, 100, 0, 6)
	select {
	case <-moved:
		t.Fatal("moved closed without the position moving")
	default:
	}
	a.AckRun(seqs[0], seqs[1], 120)
	wantProgress(t, a, 120, 2, 4)
	select {
	case <-moved:
	default:
		t.Fatal("moved not closed")
	}
	a.AckRun(seqs[2], seqs[2], 130) // closes the gap: 3..5 follow
	wantProgress(t, a, 160, 6, 0)
}

func TestTrackerDropReusesNumber(t *testing.T) {
	a := NewTracker(0)
	s := a.Add()
	a.Ack(s, 5)
	s = a.Add()
	a.Drop(s) // never sent
	if off, n := a.Position(); off != 5 || n != 0 {
		t.Fatalf("Position() = %d, %d; want 5, 0", off, n)
	}
	if s2 := a.Add(); s2 != s {
		t.Fatalf("number after Drop = %d, want %d reused", s2, s)
	}
}

// TestTrackerProgressCountsPassedItems checks that passed counts exactly
// the items below the position, whatever the ack order: logctl audit's
// acked counts (logagent/linecount.go) follow it.
func TestTrackerProgressCountsPassedItems(t *testing.T) {
	a := NewTracker(100)
	seqs := addItems(a, 4)
	a.Ack(seqs[1], 120)
	a.Ack(seqs[3], 140)
	wantProgress(t, a, 100, 0, 4) // the first item holds the position
	a.Ack(seqs[0], 110)
	wantProgress(t, a, 120, 2, 2)
	s := a.Add()
	a.Drop(s) // never sent: not counted
	a.Ack(seqs[2], 130)
	wantProgress(t, a, 140, 4, 0)
}

// addItems adds n items to tr and returns their numbers.
func addItems(tr *Tracker, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = tr.Add()
	}
	return out
}

// wantProgress checks tr's position, items passed and items in flight.
func wantProgress(t *testing.T, tr *Tracker, pos, passed int64, inflight int) {
	t.Helper()
	if p, n, in := tr.Progress(); p != pos || n != passed || in != inflight {
		t.Fatalf("Progress() = %d, %d, %d; want %d, %d, %d", p, n, in, pos, passed, inflight)
	}
	if p, in := tr.Position(); p != pos || in != inflight {
		t.Fatalf("Position() = %d, %d; want %d, %d", p, in, pos, inflight)
	}
}

func TestBudgetBlocksAndReleases(t *testing.T) {
	b := NewBudget(10)
	ctx := t.Context()
	if err := b.Acquire(ctx, 8); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := b.Acquire(short, 5); err == nil {
		t.Fatal("Acquire over budget returned without waiting")
	}
	got := make(chan error, 1)
	go func() { got <- b.Acquire(ctx, 5) }()
	b.Release(8)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 5 {
		t.Fatalf("InUse = %d, want 5", b.InUse())
	}
	b.Release(5)
	if err := b.Acquire(ctx, 100); err != nil {
		t.Fatalf("oversized request on an empty budget must pass: %v", err)
	}
}

// TestBudgetAcquireGivenUpTakesNothing: an Acquire that ends with its
// context takes no bytes.
func TestBudgetAcquireGivenUpTakesNothing(t *testing.T) {
	b := NewBudget(10)
	if err := b.Acquire(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := b.Acquire(ctx, 1); err != context.Canceled {
		t.Fatalf("Acquire with a cancelled context = %v, want context.Canceled", err)
	}
	if b.InUse() != 10 {
		t.Fatalf("a refused acquire took bytes: %d in use", b.InUse())
	}
}
