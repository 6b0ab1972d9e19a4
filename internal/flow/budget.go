// Package flow holds the two pieces of back-pressure both daemons need: a
// byte budget that pauses the reader when too much is in flight, and a
// tracker that turns out-of-order acknowledgements into the highest position
// below which everything is acknowledged — the only position safe to save or
// commit.
//
// Both daemons use both: logagent per file and for its in-flight lines,
// logtransfer per partition and for its in-flight documents.
package flow

import (
	"context"
	"sync"
)

// Budget bounds bytes in flight. Acquire blocks while the budget is spent, so
// a slow or absent downstream pauses the upstream instead of growing memory.
// All methods are safe for concurrent use.
type Budget struct {
	mu    sync.Mutex
	limit int64
	used  int64
	// freed is closed by the next Release, but only made when someone
	// waits: a channel per release would cost an allocation per record on
	// the hot path (nil: nobody waits).
	freed chan struct{}
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget {
	return &Budget{limit: limit}
}

// waitChLocked returns the channel the next Release closes, making it.
func (b *Budget) waitChLocked() chan struct{} {
	if b.freed == nil {
		b.freed = make(chan struct{})
	}
	return b.freed
}

// Acquire takes n bytes, waiting until they fit or ctx is done (then it
// returns ctx.Err() and takes nothing). A request larger than the whole
// budget is let through when nothing else is in flight, so one huge record
// cannot deadlock its source.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	for !b.TryAcquire(n) {
		if room := b.Room(n); room != nil {
			select {
			case <-room:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// TryAcquire takes n bytes if they fit now (as Acquire would let them) and
// reports whether it did; it never waits.
func (b *Budget) TryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fitsLocked(n) {
		b.used += n
		return true
	}
	return false
}

func (b *Budget) fitsLocked(n int64) bool { return b.used == 0 || b.used+n <= b.limit }

// Room returns nil when n bytes would fit now, and otherwise a channel
// closed at the next Release or SetLimit, after which the caller asks
// again. It takes nothing: a caller that waits for other things at the same
// time (logagent's harvester also watches for harvesters wanting its read
// slot) selects on it. n above the limit fits only an empty budget.
func (b *Budget) Room(n int64) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fitsLocked(n) {
		return nil
	}
	return b.waitChLocked()
}

// Limit reports the limit.
func (b *Budget) Limit() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit
}

// SetLimit changes the limit (a share of a larger budget that grows or
// shrinks with the number of sharers). Waiters re-check at once; bytes in
// flight above a lowered limit stay until released.
func (b *Budget) SetLimit(limit int64) {
	b.mu.Lock()
	b.limit = limit
	wake := b.freed
	b.freed = nil
	b.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

// Release returns n bytes taken by Acquire.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	b.used -= n
	wake := b.freed
	b.freed = nil
	b.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}

// Freed is closed at the next Release.
func (b *Budget) Freed() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waitChLocked()
}

// InUse reports the bytes in flight.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
