package logagent

import (
	"sort"
	"sync"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/flow"
)

// ackTracker keeps, for one file, the highest offset below which Kafka has
// acknowledged every event (flow.Tracker, keyed by each event's end offset):
// the only position it is safe to save. On top, it holds the records sarama
// gave back, which the file's harvester re-sends itself, in order, before
// sending anything new.
type ackTracker struct {
	*flow.Tracker

	mu sync.Mutex
	// failed holds records sarama gave back, by end offset.
	failed map[int64]*sarama.ProducerMessage
	// failures counts fail calls, for the resend backoff.
	failures int
	// unacked counts events neither acked nor failed; unlike the tracker's
	// in-flight count it excludes acks waiting behind an earlier failure.
	unacked int
	// changed is closed at every fail, and at every ack while failures are
	// pending: the harvester waits for the last other record to resolve,
	// which may not move the position.
	changed chan struct{}
}

func newAckTracker(offset int64) *ackTracker {
	return &ackTracker{Tracker: flow.NewTracker(offset), failed: map[int64]*sarama.ProducerMessage{}, changed: make(chan struct{})}
}

// add registers an event ending at end.
func (a *ackTracker) add(end int64) {
	a.Add(end)
	a.mu.Lock()
	a.unacked++
	a.mu.Unlock()
}

// unadd forgets the last event, never handed to Kafka (the harvester stopped
// first), so the position stays before it.
func (a *ackTracker) unadd(end int64) {
	a.Drop(end)
	a.mu.Lock()
	a.unacked--
	a.mu.Unlock()
}

// ack marks the event ending at end acknowledged by Kafka.
func (a *ackTracker) ack(end int64) {
	a.Ack(end)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.unacked--
	if len(a.failed) > 0 {
		a.signal()
	}
}

// fail hands a record sarama gave back to the file's harvester.
func (a *ackTracker) fail(end int64, msg *sarama.ProducerMessage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failed[end] = msg
	a.failures++
	a.unacked--
	a.signal()
}

func (a *ackTracker) signal() {
	close(a.changed)
	a.changed = make(chan struct{})
}

// changedCh is closed at the next fail, or ack while failures are pending.
func (a *ackTracker) changedCh() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

// hasFailed reports whether records wait to be re-sent.
func (a *ackTracker) hasFailed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.failed) > 0
}

// takeFailed returns the failed records in file order once every other
// in-flight record is resolved (so re-sending them cannot overtake anything
// still on its way), with how many failures the file has seen; nil while
// others are pending. The records count as unacked again.
func (a *ackTracker) takeFailed() ([]*sarama.ProducerMessage, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failed) == 0 || a.unacked != 0 {
		return nil, a.failures
	}
	ends := make([]int64, 0, len(a.failed))
	for e := range a.failed {
		ends = append(ends, e)
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	out := make([]*sarama.ProducerMessage, len(ends))
	for i, e := range ends {
		out[i] = a.failed[e]
		delete(a.failed, e)
	}
	a.unacked += len(out)
	return out, a.failures
}
