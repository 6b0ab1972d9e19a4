package esdev

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// faults holds the scripted failures. It has its own lock, never held
// while a predicate runs, so predicates may call back into the Server.
type faults struct {
	mu sync.Mutex
	script
}

type script struct {
	bulksLeft  int
	bulkStatus int
	reject     func(index string, doc map[string]any) (string, bool)
	failItem   func(index string, doc map[string]any) (int, bool)
	delay      time.Duration
}

// set changes the script under the lock.
func (f *faults) set(fn func(*script)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.script)
}

// get returns a copy of the script, to use without the lock.
func (f *faults) get() script {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.script
}

// FailNextBulks makes the next n _bulk requests fail as a whole with the
// given status — typically 429 (es_rejected_execution_exception, the
// indexing-pressure rejection) or 503 (cluster_block_exception) — and an
// Elasticsearch-shaped error body. Nothing of those requests is indexed.
// A status other than 429 is taken as 503. n <= 0 cancels pending failures.
func (s *Server) FailNextBulks(n int, status int) {
	s.faults.set(func(f *script) { f.bulksLeft, f.bulkStatus = max(n, 0), status })
}

// RejectDocs installs a predicate asked about every document of every bulk
// item. Items it rejects get a per-item 400 mapper_parsing_exception
// carrying the returned reason, the way a real cluster refuses a document
// its mapping cannot take; the rest of the request proceeds. The document
// is decoded with plain encoding/json types. nil removes the predicate.
func (s *Server) RejectDocs(pred func(index string, doc map[string]any) (reason string, reject bool)) {
	s.faults.set(func(f *script) { f.reject = pred })
}

// FailItems installs a predicate asked once for every bulk item, with its
// index: per-index faults. When it returns true the item fails with the
// returned status — 429 gives es_rejected_execution_exception, any other
// 503 unavailable_shards_exception — and nothing is stored
// for it, so a client that retries the item asks the predicate again. Keep
// state in the predicate to fail an item only once. nil removes it.
func (s *Server) FailItems(pred func(index string, doc map[string]any) (status int, reject bool)) {
	s.faults.set(func(f *script) { f.failItem = pred })
}

// SetDelay delays every response by d, to exercise client timeouts. The
// delay ends early when the client gives up. Zero removes it.
func (s *Server) SetDelay(d time.Duration) { s.faults.set(func(f *script) { f.delay = d }) }

// takeBulkFailure uses up one of FailNextBulks' failures: its status, or 0.
func (f *faults) takeBulkFailure() (status int) {
	f.set(func(f *script) {
		if f.bulksLeft > 0 {
			f.bulksLeft--
			status = f.bulkStatus
		}
	})
	return status
}

// injected is the failure of FailNextBulks (op nil: the whole request) or
// FailItems (one item), shaped like the errors a loaded (429) or
// recovering (503) cluster returns.
func injected(status int, op *writeOp) *esError {
	switch {
	case status == http.StatusTooManyRequests:
		return failf(status, "es_rejected_execution_exception", "rejected execution of %s operation (injected by esdev)",
			map[bool]string{true: "coordinating", false: "primary"}[op == nil])
	case op == nil:
		return failf(http.StatusServiceUnavailable, "cluster_block_exception",
			"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized]; (injected by esdev)")
	}
	return failf(http.StatusServiceUnavailable, "unavailable_shards_exception",
		"[%s][0] primary shard is not active (injected by esdev)", op.index).with("index", op.index).with("shard", "0")
}

// Stats are cumulative counters since New, for tests to assert on what the
// server saw. Item counters cover bulk items and PUT _doc alike; other
// outcomes are in the answers.
type Stats struct {
	BulkRequests   int64 // _bulk requests received, failed ones included
	FailedBulks    int64 // _bulk requests failed as a whole by FailNextBulks
	MalformedBulks int64 // _bulk requests refused as a whole (400) for bad NDJSON
	Created        int64 // documents created (201)
	Conflicts      int64 // items answered 409 version_conflict_engine_exception
	Searches       int64 // _search and _count requests
	Expired        int64 // stored documents dropped by WithRetention
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// bump adds n to one of s.stats's counters.
func (s *Server) bump(counter *int64, n int) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	*counter += int64(n)
}

// Count returns the number of documents in the indices matching
// indexPattern: a name, a '*' glob such as "mglogs-*", or a comma list of
// those. Like GET _doc it is real-time: it counts every stored document,
// refreshed or not (searches see only refreshed ones).
func (s *Server) Count(indexPattern string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for name, idx := range s.indices {
		if inList(indexPattern, name) {
			n += len(idx.docs)
		}
	}
	return n
}

// Doc returns the stored _source of a document, decoded with plain
// encoding/json types (numbers are float64). Like GET _doc it is real-time.
func (s *Server) Doc(index, id string) (map[string]any, bool) {
	var m map[string]any
	s.mu.RLock()
	defer s.mu.RUnlock()
	if idx := s.indices[index]; idx != nil && idx.docs[id] != nil {
		return m, json.Unmarshal(idx.docs[id].source, &m) == nil
	}
	return nil, false
}

// Indices returns the names of all indices, sorted.
func (s *Server) Indices() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.indices))
}

// EachMessage calls fn with the "message" field of every stored document
// of index, in no particular order, straight from the store: test oracles
// use it to count what was indexed, and it works while the server is
// closed.
func (s *Server) EachMessage(index string, fn func(message string)) {
	s.mu.RLock()
	var docs []*doc
	if idx := s.indices[index]; idx != nil {
		docs = slices.Collect(maps.Values(idx.docs))
	}
	s.mu.RUnlock()
	for _, d := range docs {
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(d.source, &m) == nil {
			fn(m.Message)
		}
	}
}
