package logtransfer

import (
	"log/slog"
	"sync"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// lane is one route's way through the shared sink: its share of the byte
// budget, its Condition, and the items its index refused (stall verdict).
//
// A stalled item does not stay in the shared bulk path: the indexer hands it
// back, and the lane holds it — with its bytes, so the route's share fills
// and its consumption pauses, and with its offset uncommitted — while other
// routes keep the workers and the rest of the budget. The lane probes the
// index with its oldest stalled item after a growing backoff; when the
// probe is indexed, every held item is sent again at once. So the route
// resumes by itself when the block is lifted, the index opened or created.
//
// The route's state follows: failing while items are held, waiting while
// items are retried in the indexer (429, 5xx, connection), running when
// neither. Every occurrence goes to the Condition, which logs each reason
// once per interval.
type lane struct {
	name  string
	sink  *sink
	share *share
	cond  *conf.Condition
	log   *slog.Logger
	pause pauser

	mu       sync.Mutex
	retrying int     // items the indexer is retrying (waiting)
	stalled  []*item // held, oldest first
	held     int     // items that stalled once and are out again (probe included)
	attempt  int     // probes failed in a row
	timer    *time.Timer
	probe    *item // in flight
	closed   bool
	// dead letters since the last line about them, and when that was
	dlqCount  int64
	dlqLogged time.Time
}

// retryBegin and retryEnd bracket an item's retries in the indexer.
func (l *lane) retryBegin(reason string) {
	l.mu.Lock()
	l.retrying++
	l.mu.Unlock()
	l.cond.Trouble(conf.StateWaiting, reason)
}

func (l *lane) retryEnd() {
	l.mu.Lock()
	l.retrying--
	l.mu.Unlock()
}

// settled records that it reached a final outcome: the index took it (or
// refused the document alone). A route with nothing held or retried runs.
func (l *lane) settled(it *item) {
	l.mu.Lock()
	if it.back {
		it.back = false
		l.held--
	}
	probeOK := it == l.probe
	var again []*item
	if probeOK {
		// The index takes writes again: send everything held now.
		l.probe, l.attempt = nil, 0
		if l.timer != nil {
			l.timer.Stop()
			l.timer = nil
		}
		again, l.stalled = l.stalled, nil
		l.takeLocked(again)
	}
	healthy := l.retrying == 0 && l.held == 0 && len(l.stalled) == 0
	l.mu.Unlock()
	l.resend(again)
	if healthy {
		l.cond.OK()
	}
}

// stall holds it, which its index refused for reason.
func (l *lane) stall(it *item, reason string) {
	l.sink.metrics.Stalled.WithLabelValues(l.name).Inc()
	l.mu.Lock()
	if it.back {
		it.back = false
		l.held--
	}
	if l.closed {
		l.mu.Unlock()
		l.share.release(it.size) // never acked: consumed again by the next owner
		return
	}
	if it == l.probe {
		l.probe = nil
	}
	l.stalled = append(l.stalled, it)
	if l.timer == nil && l.probe == nil {
		l.timer = time.AfterFunc(l.sink.stallBackoff(l.attempt, 0), l.sendProbe)
		l.attempt++
	}
	l.mu.Unlock()
	l.cond.Trouble(conf.StateFailing, reason)
}

// sendProbe sends the oldest held item alone.
func (l *lane) sendProbe() {
	l.mu.Lock()
	l.timer = nil
	if l.closed || len(l.stalled) == 0 {
		l.mu.Unlock()
		return
	}
	p := l.stalled[0]
	l.stalled[0] = nil
	l.stalled = l.stalled[1:]
	l.probe = p
	l.takeLocked([]*item{p})
	l.mu.Unlock()
	l.resend([]*item{p})
}

// takeLocked counts items, taken from stalled, as out again.
func (l *lane) takeLocked(items []*item) {
	for _, it := range items {
		it.back = true
	}
	l.held += len(items)
}

// resend hands items taken with takeLocked to the indexer again.
func (l *lane) resend(items []*item) {
	if len(items) == 0 {
		return
	}
	go func() {
		for _, it := range items {
			if err := l.sink.ix.add(l.sink.ctx, it); err != nil {
				l.drop(it) // shutting down: never acked
			}
		}
	}()
}

// drop gives up an item that is out again: its record was never acked and
// is consumed again later.
func (l *lane) drop(it *item) {
	l.mu.Lock()
	if it.back {
		it.back = false
		l.held--
	}
	if it == l.probe {
		l.probe = nil
	}
	l.mu.Unlock()
	l.share.release(it.size)
}

// close drops the held items (their records were never acked, so they are
// consumed again, by this instance or another) and gives the route's share
// back. Items still in the indexer release their bytes when they return.
func (l *lane) close() {
	l.mu.Lock()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	held := l.stalled
	l.stalled = nil
	l.mu.Unlock()
	for _, it := range held {
		l.share.release(it.size)
	}
	l.share.leave()
}

// healthy runs the route again if nothing is held or retried (a consumer
// session that starts cleanly clears a Kafka hiccup).
func (l *lane) healthy() {
	l.mu.Lock()
	ok := l.retrying == 0 && l.held == 0 && len(l.stalled) == 0
	l.mu.Unlock()
	if ok {
		l.cond.OK()
	}
}

// diverted logs the route's dead letters: the first at once, then one line
// per interval with how many there were (the metric counts each).
func (l *lane) diverted(index, reason string) {
	l.mu.Lock()
	l.dlqCount++
	now := time.Now()
	if !l.dlqLogged.IsZero() && now.Sub(l.dlqLogged) < conf.DefaultReportEvery {
		l.mu.Unlock()
		return
	}
	n := l.dlqCount
	l.dlqCount, l.dlqLogged = 0, now
	l.mu.Unlock()
	l.log.Warn("records refused by elasticsearch, dead-lettered", "records", n, "index", index, "last_reason", reason)
}

// dlqTrouble reports a failed dead-letter produce: the route waits on Kafka.
func (l *lane) dlqTrouble(err error) { l.cond.Trouble(conf.StateWaiting, "dead letters: "+err.Error()) }
