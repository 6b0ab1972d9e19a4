package logtransfer

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/flow"
)

// handler is the sarama ConsumerGroupHandler of one route.
//
// Per claimed partition, ConsumeClaim turns each message into a document
// through the sink and registers it with the partition's tracker; the sink's
// ack moves the tracker. Offsets are marked only from the session's own
// goroutines (the commit loop and the end of ConsumeClaim) and only up to the
// tracker's contiguous position, so an offset is never committed before
// Elasticsearch accepted that record and every earlier one.
//
// On a rebalance the session ends at once: what is contiguous is marked and
// committed in Cleanup, and records still in flight are left to the new
// owner (acks arriving later only move a tracker nobody reads; the
// re-delivered records collapse into the same documents). On a stop (route
// removed or daemon shutting down) draining is set first, and ConsumeClaim
// waits for its in-flight records, up to drainCtx, before the final commit.
type handler struct {
	name     string
	build    *docBuilder
	lane     *lane
	interval time.Duration
	metrics  *Metrics
	log      *slog.Logger

	draining atomic.Bool
	drainCtx atomic.Pointer[context.Context]

	mu        sync.Mutex
	claims    map[int32]*claimState
	committed map[int32]int64
	lastErr   string
	stopLoop  context.CancelFunc
	loopDone  chan struct{}
}

// claimState is one claimed partition of the current session.
type claimState struct {
	topic     string
	partition int32
	tr        *flow.Tracker
	marked    atomic.Int64 // next offset marked in the session; -1 before the first
	lag       atomic.Int64
	first     atomic.Int64 // offset of the first record consumed; -1 before it
}

func newHandler(name string, b *docBuilder, l *lane, interval time.Duration, m *Metrics, log *slog.Logger) *handler {
	return &handler{name: name, build: b, lane: l, interval: interval, metrics: m, log: log,
		claims: map[int32]*claimState{}, committed: map[int32]int64{}}
}

// Setup starts the session's commit loop.
func (h *handler) Setup(sess sarama.ConsumerGroupSession) error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	h.mu.Lock()
	h.stopLoop, h.loopDone = cancel, done
	h.mu.Unlock()
	h.log.Info("partitions assigned", "claims", sess.Claims(), "generation", sess.GenerationID())
	h.lane.healthy()
	go func() {
		defer close(done)
		t := time.NewTicker(h.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				h.commit(sess)
			}
		}
	}()
	return nil
}

// Cleanup stops the commit loop and commits what the claims marked last.
func (h *handler) Cleanup(sess sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	stop, done := h.stopLoop, h.loopDone
	h.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	h.commit(sess)
	h.mu.Lock()
	h.claims = map[int32]*claimState{}
	h.mu.Unlock()
	return nil
}

// commit marks every claim's contiguous position and commits the session.
func (h *handler) commit(sess sarama.ConsumerGroupSession) {
	h.mu.Lock()
	claims := make([]*claimState, 0, len(h.claims))
	for _, c := range h.claims {
		claims = append(claims, c)
	}
	h.mu.Unlock()
	moved := false
	for _, c := range claims {
		moved = c.mark(sess) || moved
	}
	if !moved {
		return
	}
	sess.Commit()
	h.metrics.Commits.WithLabelValues("ok").Inc()
	h.mu.Lock()
	for _, c := range claims {
		if m := c.marked.Load(); m >= 0 {
			h.committed[c.partition] = m
		}
	}
	h.mu.Unlock()
}

// mark marks the tracker's position if it moved; it reports whether it did.
func (c *claimState) mark(sess sarama.ConsumerGroupSession) bool {
	pos, _ := c.tr.Position()
	if pos < 0 || pos <= c.marked.Load() {
		return false
	}
	sess.MarkOffset(c.topic, c.partition, pos, "")
	c.marked.Store(pos)
	return true
}

// ConsumeClaim feeds one partition to the sink until the session ends.
func (h *handler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	c := &claimState{topic: claim.Topic(), partition: claim.Partition(), tr: flow.NewTracker(-1)}
	c.marked.Store(-1)
	c.first.Store(-1)
	h.mu.Lock()
	h.claims[c.partition] = c
	h.mu.Unlock()
	part := strconv.Itoa(int(c.partition))
	lag := h.metrics.Lag.WithLabelValues(h.name, part)
	ctx := sess.Context()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case m, ok := <-claim.Messages():
			if !ok {
				break loop
			}
			if c.first.Load() < 0 {
				c.first.Store(m.Offset)
			}
			l := max(claim.HighWaterMarkOffset()-m.Offset-1, 0)
			c.lag.Store(l)
			lag.Set(float64(l))
			n, end := c.tr.Add(), m.Offset+1
			if err := h.lane.submit(ctx, h.build, m, func(outcome) { c.tr.Ack(n, end) }); err != nil {
				c.tr.Drop(n)
				break loop
			}
		}
	}
	if h.draining.Load() {
		h.drain(c)
	}
	c.mark(sess)
	h.metrics.Lag.DeleteLabelValues(h.name, part)
	return nil
}

// drain waits for c's in-flight records, up to the stop's deadline.
func (h *handler) drain(c *claimState) {
	dctx := context.Background()
	if p := h.drainCtx.Load(); p != nil {
		dctx = *p
	}
	for {
		_, n := c.tr.Position()
		if n == 0 {
			return
		}
		select {
		case <-c.tr.Moved():
		case <-dctx.Done():
			h.log.Warn("stop deadline passed with records in flight; they will be consumed again", "partition", c.partition, "records", n)
			return
		}
	}
}

// beginDrain makes the session's end a stop: claims wait for in-flight
// records until ctx ends.
func (h *handler) beginDrain(ctx context.Context) {
	h.drainCtx.Store(&ctx)
	h.draining.Store(true)
}

func (h *handler) setErr(err error) {
	h.mu.Lock()
	h.lastErr = err.Error()
	h.mu.Unlock()
}

// PartitionStatus is one owned partition in the status key.
type PartitionStatus struct {
	Partition int32 `json:"partition"`
	Committed int64 `json:"committed_offset"`
	Lag       int64 `json:"lag"`
	Inflight  int   `json:"inflight"`
	// UnindexedAgeMs is the age of the oldest record not yet indexed, and
	// RetentionUsed that age over the topic's retention.ms (retention.go).
	UnindexedAgeMs int64   `json:"unindexed_age_ms,omitempty"`
	RetentionUsed  float64 `json:"retention_used,omitempty"`
}

// unindexed maps each owned partition to the offset of its oldest record
// not yet indexed (the tracker's contiguous position, or the first record
// consumed before any ack), or -1 when it is caught up or nothing was
// consumed yet (retention.go).
func (h *handler) unindexed() map[int32]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[int32]int64, len(h.claims))
	for p, c := range h.claims {
		pos, n := c.tr.Position()
		if pos < 0 {
			pos = c.first.Load()
		}
		if n == 0 && c.lag.Load() == 0 {
			pos = -1
		}
		out[p] = pos
	}
	return out
}

// status reports the owned partitions and the last error.
func (h *handler) status() ([]PartitionStatus, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]PartitionStatus, 0, len(h.claims))
	for p, c := range h.claims {
		_, n := c.tr.Position()
		committed, ok := h.committed[p]
		if !ok {
			committed = -1
		}
		out = append(out, PartitionStatus{Partition: p, Committed: committed, Lag: c.lag.Load(), Inflight: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out, h.lastErr
}
