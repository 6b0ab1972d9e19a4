package demo

import (
	"encoding/json"
	"sort"
	"sync"
	"time"
)

// maxLatency is the largest latency the demo tells apart; slower documents
// count as maxLatency.
const maxLatency = 60 * time.Second

// clock measures the demo's write-to-searchable latency exactly, per
// document: from the generator's write of a line to the refresh of the
// stand-in that made the document holding it searchable, the moment a
// search can first find the line. It is the stand-in's RefreshFunc; the
// line's request id gives its sequence number, the write log its write time.
//
// NOTE: logtransfer's own logtransfer_write_to_index_seconds histogram
// starts at the agent's read (lp.ts) and ends at the bulk answer, before
// any refresh; the summary shows it next to the clock's exact figure.
type clock struct {
	writes *writeLog

	mu     sync.Mutex
	seen   int64
	total  msHist
	window []msHist // one per second, the newest last
}

func newClock(w *writeLog) *clock {
	return &clock{writes: w, total: newMSHist(), window: []msHist{newMSHist()}}
}

// observe records the latency of every generated line among the sources a
// refresh at made searchable. A document is made searchable once: a
// re-delivery is refused (409) and never becomes a second document.
func (c *clock) observe(_ string, at time.Time, sources []json.RawMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, src := range sources {
		var doc struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(src, &doc) != nil {
			continue
		}
		seq, ok := lineSeq(doc.Message)
		if !ok {
			continue
		}
		if written, ok := c.writes.at(seq); ok {
			d := at.Sub(written)
			c.total.add(d)
			c.window[len(c.window)-1].add(d)
			c.seen++
		}
	}
}

// searchable counts the lines observed since the last reset.
func (c *clock) searchable() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

// tick starts a new second of the window, dropping seconds older than
// latencyWindow, and returns the window's quantiles.
func (c *clock) tick() (p50, p99 time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := newMSHist()
	for _, h := range c.window {
		sum.merge(h)
	}
	c.window = append(c.window, newMSHist())
	if keep := int(latencyWindow / time.Second); len(c.window) > keep {
		c.window = c.window[len(c.window)-keep:]
	}
	return sum.quantile(0.5), sum.quantile(0.99)
}

// reset forgets what was observed so far (the warm-up line).
func (c *clock) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.window, c.seen = newMSHist(), []msHist{newMSHist()}, 0
}

// quantile is the q-quantile over the whole run.
func (c *clock) quantile(q float64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total.quantile(q)
}

// writeLog remembers when each batch of lines was written: the generator
// writes every line of a batch at once, so a sequence number's batch gives
// its write time. It grows by one entry per batch (100 a second); the
// oracle trims the batches of the lines it forgot.
type writeLog struct {
	mu      sync.Mutex
	batches []writeBatch
}

type writeBatch struct {
	first int64
	at    time.Time
}

func (l *writeLog) add(first int64, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches = append(l.batches, writeBatch{first, at})
}

// at returns when line seq was written.
func (l *writeLog) at(seq int64) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.batches), func(i int) bool { return l.batches[i].first > seq }) - 1
	if i < 0 {
		return time.Time{}, false
	}
	return l.batches[i].at, true
}

// firstAfter returns the first line of the oldest batch written after t;
// false if every batch was written at or before t.
func (l *writeLog) firstAfter(t time.Time) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.batches), func(i int) bool { return l.batches[i].at.After(t) })
	if i == len(l.batches) {
		return 0, false
	}
	return l.batches[i].first, true
}

// trim forgets the batches holding only lines before seq.
func (l *writeLog) trim(seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.batches), func(i int) bool { return l.batches[i].first > seq }) - 1
	if i > 0 {
		l.batches = l.batches[i:]
	}
}

// msHist counts latencies by whole millisecond up to maxLatency.
type msHist struct {
	counts []uint32
	n      uint64
}

func newMSHist() msHist { return msHist{counts: make([]uint32, maxLatency/time.Millisecond+1)} }

func (h *msHist) add(d time.Duration) {
	ms := min(max(d.Milliseconds(), 0), int64(len(h.counts)-1))
	h.counts[ms]++
	h.n++
}

func (h *msHist) merge(o msHist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile is the smallest latency at or below which a fraction q of the
// observations lie; zero when there are none.
func (h *msHist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	var seen uint64
	for ms, c := range h.counts {
		seen += uint64(c)
		if seen >= max(rank, 1) {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return maxLatency
}
