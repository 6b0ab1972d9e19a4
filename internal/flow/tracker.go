package flow

import (
	"sort"
	"sync"
)

// Tracker keeps, for one ordered source (a file, a Kafka partition), the
// highest position below which every item is acknowledged. Items are
// registered in source order with Add and may be acknowledged in any order
// (retries, parallel requests); Position moves only over a contiguous run of
// acknowledged items. All methods are safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	items []item // registered, oldest first; items[head:] are in flight
	head  int
	pos   int64 // position after the last contiguous acknowledged item
	moved chan struct{}
}

type item struct {
	end  int64 // position after this item
	done bool
}

// NewTracker starts at position pos (nothing in flight).
func NewTracker(pos int64) *Tracker {
	return &Tracker{pos: pos}
}

// Add registers an item ending at end (ends must increase) and returns the
// key to acknowledge it with.
func (t *Tracker) Add(end int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.head > 0 && t.head*2 >= len(t.items) {
		// Compact so the slice stays proportional to what is in flight.
		t.items = t.items[:copy(t.items, t.items[t.head:])]
		t.head = 0
	}
	t.items = append(t.items, item{end: end})
	return end
}

// Ack marks the item ending at end acknowledged. Acknowledging an unknown or
// already acknowledged item does nothing.
func (t *Tracker) Ack(end int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	live := t.items[t.head:]
	i := sort.Search(len(live), func(i int) bool { return live[i].end >= end })
	if i == len(live) || live[i].end != end {
		return
	}
	live[i].done = true
	start := t.head
	for t.head < len(t.items) && t.items[t.head].done {
		t.head++
	}
	if t.head == start {
		return
	}
	t.pos = t.items[t.head-1].end
	// The channel exists only if someone waits: made per ack it would cost
	// an allocation per record.
	if t.moved != nil {
		close(t.moved)
		t.moved = nil
	}
}

// Position returns the acknowledged position and how many items are still
// in flight.
func (t *Tracker) Position() (pos int64, inflight int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pos, len(t.items) - t.head
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

// Drop removes the most recent item, which must end at end, because it was
// never handed downstream (the consumer stopped first): it must neither be
// waited for nor hold the position back. Any other call does nothing.
func (t *Tracker) Drop(end int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.items); n > t.head && t.items[n-1].end == end && !t.items[n-1].done {
		t.items = t.items[:n-1]
	}
}
