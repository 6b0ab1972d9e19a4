package logagent

import "sync"

// ackTracker keeps, for one file, the highest offset below which Kafka has
// acknowledged every event: the only position it is safe to save. Acks may
// arrive out of order (retries, several brokers); an offset advances only when
// every earlier event is acked too.
type ackTracker struct {
	mu      sync.Mutex
	base    uint64  // sequence number of pending[head]
	pending []int64 // end offset per in-flight event; -1 once acked
	head    int     // index of the first entry still pending
	acked   int64   // highest contiguous acked end offset
	notify  chan struct{}
}

func newAckTracker(offset int64) *ackTracker {
	return &ackTracker{acked: offset, notify: make(chan struct{})}
}

// add registers an event ending at end and returns its sequence number.
func (a *ackTracker) add(end int64) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	seq := a.base + uint64(len(a.pending)-a.head)
	if a.head > 0 && a.head == len(a.pending) {
		a.pending = a.pending[:0]
		a.head = 0
	} else if a.head > 1024 && a.head*2 > len(a.pending) {
		// Compact so the slice stays proportional to what is in flight.
		n := copy(a.pending, a.pending[a.head:])
		a.pending = a.pending[:n]
		a.head = 0
	}
	a.pending = append(a.pending, end)
	return seq
}

// unadd removes event seq, which must be the last one added: it was never
// handed to Kafka (the harvester stopped first), so it must neither be waited
// for nor move the position past it.
func (a *ackTracker) unadd(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := a.head + int(seq-a.base); i == len(a.pending)-1 {
		a.pending = a.pending[:i]
	}
}

// ack marks event seq acknowledged and advances the contiguous offset.
func (a *ackTracker) ack(seq uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := a.head + int(seq-a.base)
	if i < a.head || i >= len(a.pending) {
		return // already acked (a duplicate success)
	}
	if a.pending[i] >= 0 {
		a.pending[i] = -a.pending[i] - 1 // mark acked, keep the value
	}
	advanced := false
	for a.head < len(a.pending) && a.pending[a.head] < 0 {
		a.acked = -a.pending[a.head] - 1
		a.head++
		a.base++
		advanced = true
	}
	if advanced {
		close(a.notify)
		a.notify = make(chan struct{})
	}
}

// position returns the acked offset and how many events are still in flight.
func (a *ackTracker) position() (acked int64, inflight int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.acked, len(a.pending) - a.head
}

// waitCh is closed the next time the acked offset advances.
func (a *ackTracker) waitCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.notify
}
