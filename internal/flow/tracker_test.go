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
		ends    []int64
		acks    []int64
		wantPos int64
		wantIn  int
	}{
		{"nothing acked", []int64{1, 2, 3}, nil, 0, 3},
		{"in order", []int64{1, 2, 3}, []int64{1, 2}, 2, 1},
		{"gap holds position", []int64{1, 2, 3}, []int64{2, 3}, 0, 3},
		{"gap filled", []int64{1, 2, 3}, []int64{3, 2, 1}, 3, 0},
		{"sparse offsets (compaction gaps)", []int64{5, 9, 20}, []int64{5, 20}, 5, 2},
		{"dropped tail no longer holds", []int64{1, 2, 3}, []int64{1, -3}, 1, 1},
		{"unknown and repeated acks ignored", []int64{1, 2}, []int64{7, 1, 1}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(0)
			for _, e := range tt.ends {
				tr.Add(e)
			}
			for _, a := range tt.acks {
				if a < 0 {
					tr.Drop(-a)
					continue
				}
				tr.Ack(a)
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
	var pending []int64
	next := int64(1)
	for round := 0; round < 20000; round++ {
		if len(pending) == 0 || rand.IntN(3) > 0 {
			pending = append(pending, tr.Add(next))
			next++
			continue
		}
		i := rand.IntN(len(pending))
		tr.Ack(pending[i])
		acked[pending[i]] = true
		pending = append(pending[:i], pending[i+1:]...)
		pos, _ := tr.Position()
		for o := int64(1); o <= pos; o++ {
			if !acked[o] {
				t.Fatalf("position %d passes unacked %d", pos, o)
			}
		}
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
