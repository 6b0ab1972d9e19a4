package logagent

import (
	"container/list"
	"context"
	"sync"

	"github.com/logpipe/logpipe/internal/flow"
)

// shares divides the agent's two shared resources — read slots
// (maxConcurrentReads) and in-flight bytes (max_inflight_bytes) — among its
// running tasks, so each task is its own failure domain: a task whose lines
// cannot leave (a missing topic, a refused ACL, a partition without leader)
// holds at most its share of each, and every other task keeps reading at its
// full rate with the rest.
//
// A task's byte share is the budget / running tasks, so the shares add up
// to the budget whatever the number of tasks: stuck tasks together never
// hold what the others need. (A record larger than its task's share still
// goes when the task has nothing else in flight: flow.Budget.) A task's
// slot share is slots / running tasks, but at least one; with more tasks
// than slots those add up to more than there are, which is safe because a
// harvester never waits for anything downstream while it holds a slot
// (harvestwait.go): only harvesters that are reading hold slots.
//
// Contract: the global flow.Budget still bounds the agent's bytes; a
// taskShare only caps one task's part of it, so a harvester takes its bytes
// from its taskShare first and then from the budget, and gives them back
// in the other order (the producer's ack path releases the budget).
type shares struct {
	slots int   // total read slots
	bytes int64 // total in-flight bytes (the budget's limit)

	mu     sync.Mutex
	tasks  int        // running tasks
	inUse  int        // read slots taken
	queue  *list.List // of *slotWaiter, oldest first
	byTask map[*taskShare]struct{}
	// wanted is closed when a harvester starts to wait for a slot; nil
	// while nobody asked (contended).
	wanted chan struct{}
}

func newShares(slots int, bytes int64) *shares {
	return &shares{slots: slots, bytes: bytes, queue: list.New(), byTask: map[*taskShare]struct{}{}}
}

// taskShare is one task's part of shares. Made by join, ended by leave.
type taskShare struct {
	s *shares

	slots int          // read slots held, under s.mu
	bytes *flow.Budget // the task's in-flight bytes, limited to its share
}

type slotWaiter struct {
	ts *taskShare
	ch chan struct{} // closed when the slot is granted
}

// join adds a running task.
func (s *shares) join() *taskShare {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := &taskShare{s: s, bytes: flow.NewBudget(s.bytes)}
	s.byTask[ts] = struct{}{}
	s.resizeLocked()
	return ts
}

// leave removes a task whose harvesters all returned. Shares of the others
// grow at once.
func (s *shares) leave(ts *taskShare) {
	s.mu.Lock()
	delete(s.byTask, ts)
	s.resizeLocked()
	s.grantLocked()
	s.mu.Unlock()
}

// resizeLocked sets every task's byte share for the number of tasks.
func (s *shares) resizeLocked() {
	s.tasks = len(s.byTask)
	// NOTE: no floor. One of two partition queues' worth kept batches full
	// with many tasks, but 33 tasks stuck on Kafka then held the whole
	// default budget and a healthy task could not send a line. Below
	// 512 KiB a task's batches are smaller, not slower to be acked.
	share := s.bytes / int64(max(s.tasks, 1))
	for ts := range s.byTask {
		ts.bytes.SetLimit(share)
	}
}

// slotShareLocked is how many read slots one task may hold.
func (s *shares) slotShareLocked() int { return max(s.slots/max(s.tasks, 1), 1) }

// acquireSlot waits for a read slot within the task's share, in arrival
// order among the tasks that may take one.
func (ts *taskShare) acquireSlot(ctx context.Context) error {
	s := ts.s
	s.mu.Lock()
	if s.queue.Len() == 0 && s.inUse < s.slots && ts.slots < s.slotShareLocked() {
		s.inUse++
		ts.slots++
		s.mu.Unlock()
		return nil
	}
	// Queued behind waiters of tasks at their share, it may still be
	// granted at once: grant before waiting.
	w := &slotWaiter{ts: ts, ch: make(chan struct{})}
	e := s.queue.PushBack(w)
	s.grantLocked()
	if s.wanted != nil && s.queue.Len() > 0 {
		close(s.wanted)
		s.wanted = nil
	}
	s.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		select {
		case <-w.ch: // granted meanwhile: give it back
			s.releaseSlotLocked(ts)
		default:
			s.queue.Remove(e)
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// contended returns a channel that is closed while harvesters wait for a
// read slot: one that waits for room downstream holding its slot gives it
// up then (harvestwait.go).
func (s *shares) contended() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queue.Len() > 0 {
		return closedCh
	}
	if s.wanted == nil {
		s.wanted = make(chan struct{})
	}
	return s.wanted
}

var closedCh = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// releaseSlot gives back a slot from acquireSlot.
func (ts *taskShare) releaseSlot() {
	ts.s.mu.Lock()
	ts.s.releaseSlotLocked(ts)
	ts.s.mu.Unlock()
}

func (s *shares) releaseSlotLocked(ts *taskShare) {
	s.inUse--
	ts.slots--
	s.grantLocked()
}

// grantLocked hands free slots to the oldest waiters whose task is within
// its share; a waiter of a task at its share is passed over, not in the way.
func (s *shares) grantLocked() {
	share := s.slotShareLocked()
	for e := s.queue.Front(); e != nil && s.inUse < s.slots; {
		next := e.Next()
		if w := e.Value.(*slotWaiter); w.ts.slots < share {
			s.queue.Remove(e)
			s.inUse++
			w.ts.slots++
			close(w.ch)
		}
		e = next
	}
}

// tryAcquire takes n in-flight bytes for one record, from the share and
// from the agent's budget b, if both have room now; it takes nothing and
// reports false otherwise. It never waits: the harvester (harvestwait.go)
// and a reship decide how.
func (ts *taskShare) tryAcquire(b *flow.Budget, n int64) bool {
	if !ts.bytes.TryAcquire(n) {
		return false
	}
	if !b.TryAcquire(n) {
		ts.bytes.Release(n)
		return false
	}
	return true
}

// room returns nil when the share has room for want bytes and the agent's
// budget b for n, and otherwise a channel closed when there may be.
func (ts *taskShare) room(b *flow.Budget, want, n int64) <-chan struct{} {
	if c := ts.bytes.Room(want); c != nil {
		return c
	}
	return b.Room(n)
}

// release gives back what tryAcquire took (for a record the producer never
// got; the producer's ack path releases the others).
func (ts *taskShare) release(b *flow.Budget, n int64) {
	b.Release(n)
	ts.bytes.Release(n)
}
