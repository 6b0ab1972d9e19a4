package logagent

import (
	"sort"
	"sync"

	"github.com/IBM/sarama"
)

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
	// failed holds records sarama gave back. The file's harvester re-sends
	// them itself, in sequence order, before sending anything new.
	failed map[uint64]*sarama.ProducerMessage
	// failures counts fail calls, for the resend backoff.
	failures int
	// failNotify is closed at the next fail (not at acks, which are many).
	failNotify chan struct{}
	// unacked counts events neither acked nor given up: unlike the entries
	// after head, it excludes acks waiting behind an earlier failure.
	unacked int
}

func newAckTracker(offset int64) *ackTracker {
	return &ackTracker{acked: offset, notify: make(chan struct{}), failNotify: make(chan struct{}), failed: map[uint64]*sarama.ProducerMessage{}}
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
	a.unacked++
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
		a.unacked--
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
		a.unacked--
	}
	advanced := false
	for a.head < len(a.pending) && a.pending[a.head] < 0 {
		a.acked = -a.pending[a.head] - 1
		a.head++
		a.base++
		advanced = true
	}
	// With failures pending, the harvester waits for the last other record
	// to resolve, which may not advance the head: wake it then too.
	if advanced || len(a.failed) > 0 {
		close(a.notify)
		a.notify = make(chan struct{})
	}
}

// fail hands a record sarama gave back to the file's harvester.
func (a *ackTracker) fail(seq uint64, msg *sarama.ProducerMessage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failed[seq] = msg
	a.failures++
	close(a.notify)
	a.notify = make(chan struct{})
	close(a.failNotify)
	a.failNotify = make(chan struct{})
}

// failCh is closed at the next fail.
func (a *ackTracker) failCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failNotify
}

// hasFailed reports whether records wait to be re-sent.
func (a *ackTracker) hasFailed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.failed) > 0
}

// takeFailed returns the failed records in sequence order once every other
// in-flight record is resolved (so re-sending them cannot overtake anything
// still on its way), with how many failures the file has seen; nil while
// others are pending.
func (a *ackTracker) takeFailed() ([]*sarama.ProducerMessage, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failed) == 0 || len(a.failed) != a.unacked {
		return nil, a.failures
	}
	seqs := make([]uint64, 0, len(a.failed))
	for s := range a.failed {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	out := make([]*sarama.ProducerMessage, len(seqs))
	for i, s := range seqs {
		out[i] = a.failed[s]
		delete(a.failed, s)
	}
	return out, a.failures
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
