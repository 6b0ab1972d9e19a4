package logtransfer

import (
	"context"
	"sync"
)

// budget bounds the bytes of records in flight (consumed, not yet acked),
// in total and per route: each route takes them through its share, and a
// share holds at most limit / routes, so a route whose index refuses writes
// fills its own share and pauses, while every other route keeps its own.
//
// Contract: a share may take n bytes when it holds nothing (one record of
// any size always passes, so a huge record cannot deadlock its partition,
// and a route joining while others hold more than their new share still
// moves), or when n fits both its share and the total. So the total exceeds
// limit by at most one record per route. All methods are safe for
// concurrent use.
type budget struct {
	mu     sync.Mutex
	limit  int64
	used   int64
	routes int
	// freed is closed at the next release or change of the route count;
	// made only when someone waits.
	freed chan struct{}
}

// share is one route's part of a budget.
type share struct {
	b    *budget
	used int64 // guarded by b.mu
}

func newBudget(limit int64) *budget { return &budget{limit: limit} }

// join adds a route and returns its share; the other shares shrink.
func (b *budget) join() *share {
	b.mu.Lock()
	b.routes++
	b.mu.Unlock()
	return &share{b: b}
}

// leave removes the route; bytes it still holds stay counted until
// released. The other shares grow.
func (s *share) leave() {
	s.b.mu.Lock()
	s.b.routes--
	s.b.wakeLocked()
}

// InUse reports the bytes in flight across routes.
func (b *budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// fitsLocked reports whether s may take n bytes now.
func (s *share) fitsLocked(n int64) bool {
	b := s.b
	return s.used == 0 || s.used+n <= b.limit/int64(max(b.routes, 1)) && b.used+n <= b.limit
}

// tryAcquire takes n bytes if they fit now.
func (s *share) tryAcquire(n int64) bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if !s.fitsLocked(n) {
		return false
	}
	s.used += n
	s.b.used += n
	return true
}

// acquire takes n bytes, waiting until they fit or ctx is done (then it
// returns ctx.Err() and takes nothing).
func (s *share) acquire(ctx context.Context, n int64) error {
	for {
		if s.tryAcquire(n) {
			return nil
		}
		s.b.mu.Lock()
		if s.fitsLocked(n) { // released in between
			s.b.mu.Unlock()
			continue
		}
		if s.b.freed == nil {
			s.b.freed = make(chan struct{})
		}
		wait := s.b.freed
		s.b.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release returns n bytes taken by acquire.
func (s *share) release(n int64) {
	s.b.mu.Lock()
	s.used -= n
	s.b.used -= n
	s.b.wakeLocked()
}

// wakeLocked wakes every waiter and unlocks b.mu.
func (b *budget) wakeLocked() {
	wake := b.freed
	b.freed = nil
	b.mu.Unlock()
	if wake != nil {
		close(wake)
	}
}
