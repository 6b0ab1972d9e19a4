package flow

import (
	"cmp"
	"slices"
	"sync"
)

// Tracker keeps, for one ordered source (a file, a Kafka partition), the
// highest position below which every item is acknowledged: the only position
// it is safe to save or commit. Both daemons use it: logagent per file,
// logtransfer per claimed partition.
//
// Items are numbered in source order as they are registered (Add) and
// acknowledged by runs — consecutive items done together, with the position
// after the last (AckRun; Ack for one item) — in any order. logagent's
// producer acknowledges a file's run of records per batch, so the position
// moves once per batch, not once per line, and nothing is kept per item in
// flight; logtransfer acknowledges each record as its bulk item is done. A
// run that overtakes an earlier one waits in pending until the gap before it
// closes. All methods are safe for concurrent use.
type Tracker struct {
	mu      sync.Mutex
	next    uint64 // number of the next item added
	acked   uint64 // every item below this number is acknowledged
	pos     int64  // position after item acked-1
	pending []ackRun
	moved   chan struct{} // closed when pos advances; nil while nobody waits
}

// ackRun is a run [first, last] of items acknowledged together; end is the
// position after item last.
type ackRun struct {
	first, last uint64
	end         int64
}

// NewTracker starts at position pos (nothing in flight).
func NewTracker(pos int64) *Tracker {
	return &Tracker{pos: pos}
}

// Add registers the next item of the source and returns its number.
func (t *Tracker) Add() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.next++
	return t.next - 1
}

// Drop forgets item n, the last one added, because it was never handed
// downstream (the sender stopped first): it must neither be waited for nor
// hold the position back. Any other call does nothing.
func (t *Tracker) Drop(n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n+1 == t.next && n >= t.acked {
		t.next--
	}
}

// Ack marks item n acknowledged; end is the position after it.
func (t *Tracker) Ack(n uint64, end int64) { t.AckRun(n, n, end) }

// AckRun marks items first..last acknowledged; end is the position after
// last. Items already acknowledged, or never added, are ignored.
func (t *Tracker) AckRun(first, last uint64, end int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last < first || last < t.acked || last >= t.next {
		return
	}
	first = max(first, t.acked)
	if first != t.acked {
		i, found := slices.BinarySearchFunc(t.pending, first, func(r ackRun, f uint64) int { return cmp.Compare(r.first, f) })
		if !found {
			t.pending = slices.Insert(t.pending, i, ackRun{first, last, end})
		}
		return
	}
	t.acked, t.pos = last+1, end
	for len(t.pending) > 0 && t.pending[0].first <= t.acked {
		if r := t.pending[0]; r.last >= t.acked {
			t.acked, t.pos = r.last+1, r.end
		}
		t.pending = t.pending[1:]
	}
	// The channel exists only if someone waits: made per ack it would
	// cost an allocation per batch or record.
	if t.moved != nil {
		close(t.moved)
		t.moved = nil
	}
}

// Position returns the acknowledged position and how many items are not
// (or not contiguously) acknowledged yet.
func (t *Tracker) Position() (pos int64, inflight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos, int(t.next - t.acked)
}

// Progress is Position with how many items the position has passed since
// the tracker began (items are numbered from 0): logagent's per-hour line
// counts follow it (logagent/linecount.go).
func (t *Tracker) Progress() (pos, passed int64, inflight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos, int64(t.acked), int(t.next - t.acked)
}

// Moved is closed the next time Position advances.
func (t *Tracker) Moved() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.moved == nil {
		t.moved = make(chan struct{})
	}
	return t.moved
}
