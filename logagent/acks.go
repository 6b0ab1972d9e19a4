package logagent

import (
	"cmp"
	"slices"
	"sync"
)

// ackTracker keeps, for one file, the highest offset below which Kafka has
// acknowledged every event: the only position it is safe to save.
//
// Events are numbered in file order as they are registered (add). The
// producer acknowledges them by runs — the consecutive events of one file in
// one batch — so the position moves once per batch, not once per line. Runs
// normally come back in order (a file maps to one partition, which has one
// batch in flight); a run that overtakes an earlier one (the topic grew
// partitions mid-file) waits in pending until the gap before it closes.
type ackTracker struct {
	mu      sync.Mutex
	next    uint64 // sequence number of the next event added
	acked   uint64 // every event below this sequence number is acknowledged
	pos     int64  // end offset of event acked-1: the safe position
	pending []ackRun
	moved   chan struct{} // closed when pos advances; nil while nobody waits
}

// ackRun is a range [first, last] of one file's events acknowledged together;
// end is the end offset of event last.
type ackRun struct {
	first, last uint64
	end         int64
}

func newAckTracker(offset int64) *ackTracker {
	return &ackTracker{pos: offset}
}

// add registers the next event of the file and returns its sequence number.
func (a *ackTracker) add() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	return a.next - 1
}

// unadd forgets the event seq, the last one added, never handed to Kafka (the
// harvester stopped first), so the position stays before it.
func (a *ackTracker) unadd(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if seq == a.next-1 && seq >= a.acked {
		a.next--
	}
}

// ackRun marks events first..last acknowledged; end is the offset after last.
func (a *ackTracker) ackRun(first, last uint64, end int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if first != a.acked {
		i, _ := slices.BinarySearchFunc(a.pending, first, func(r ackRun, f uint64) int { return cmp.Compare(r.first, f) })
		a.pending = slices.Insert(a.pending, i, ackRun{first, last, end})
		return
	}
	a.acked, a.pos = last+1, end
	for len(a.pending) > 0 && a.pending[0].first == a.acked {
		a.acked, a.pos = a.pending[0].last+1, a.pending[0].end
		a.pending = a.pending[1:]
	}
	if a.moved != nil {
		close(a.moved)
		a.moved = nil
	}
}

// Position returns the acknowledged position and how many events are not
// (or not contiguously) acknowledged yet.
func (a *ackTracker) Position() (pos int64, inflight int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pos, int(a.next - a.acked)
}

// Progress is Position with how many events the position has passed since
// the tracker began (events are numbered in add order from 0): the line
// counts of logctl audit follow it (linecount.go).
func (a *ackTracker) Progress() (pos, passed int64, inflight int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pos, int64(a.acked), int(a.next - a.acked)
}

// Moved is closed the next time Position advances.
func (a *ackTracker) Moved() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.moved == nil {
		a.moved = make(chan struct{})
	}
	return a.moved
}
