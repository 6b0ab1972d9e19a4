package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// maxLatency is the largest latency the demo tells apart; slower documents
// count as maxLatency.
const maxLatency = 60 * time.Second

// clock measures the demo's write-to-index latency exactly, per document:
// from the generator's write of a line to the stand-in answering 201
// Created for the document holding it. It sits in front of the stand-in's
// HTTP handler, reads each _bulk request's documents and the outcome of
// each item, and looks up when the line (by its request id) was written.
//
// NOTE: logtransfer's own logtransfer_write_to_index_seconds histogram
// starts at the agent's read (lp.ts), not the write, and is bucketed; the
// summary shows it next to the clock's exact figure.
type clock struct {
	writes *writeLog

	mu     sync.Mutex
	total  msHist
	window []msHist // one per second, the newest last
}

func newClock(w *writeLog) *clock {
	return &clock{writes: w, total: newMSHist(), window: []msHist{newMSHist()}}
}

// wrap returns next with every _bulk request timed.
func (c *clock) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/_bulk") || r.Header.Get("Content-Encoding") != "" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		cw := &captureWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		c.observe(time.Now(), bulkSeqs(body), cw.buf.Bytes())
	})
}

// observe records the latency of every item created (201) whose document
// is a generated line; 409s are re-deliveries of lines already timed.
func (c *clock) observe(now time.Time, seqs []int64, resp []byte) {
	var out struct {
		Items []map[string]struct {
			Status int `json:"status"`
		} `json:"items"`
	}
	if json.Unmarshal(resp, &out) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, item := range out.Items {
		if i >= len(seqs) || seqs[i] < 0 {
			continue
		}
		for _, res := range item {
			if res.Status != http.StatusCreated {
				continue
			}
			if at, ok := c.writes.at(seqs[i]); ok {
				d := now.Sub(at)
				c.total.add(d)
				c.window[len(c.window)-1].add(d)
			}
		}
	}
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
	c.total, c.window = newMSHist(), []msHist{newMSHist()}
}

// quantile is the q-quantile over the whole run.
func (c *clock) quantile(q float64) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total.quantile(q)
}

// bulkSeqs lists, per item of a bulk body, the sequence number of the line
// its document holds, or -1.
func bulkSeqs(body []byte) []int64 {
	var seqs []int64
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, len(body)+1)
	for sc.Scan() {
		var action map[string]json.RawMessage
		if json.Unmarshal(sc.Bytes(), &action) != nil || len(action) != 1 {
			return nil // the stand-in refuses the whole request
		}
		seq := int64(-1)
		if _, isDelete := action["delete"]; !isDelete && sc.Scan() {
			var doc struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(sc.Bytes(), &doc) == nil {
				if n, ok := lineSeq(doc.Message); ok {
					seq = n
				}
			}
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

// captureWriter keeps a copy of the response body.
type captureWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

// writeLog remembers when each batch of lines was written: the generator
// writes every line of a batch at once, so a sequence number's batch gives
// its write time. It grows by one entry per batch (100 a second).
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
