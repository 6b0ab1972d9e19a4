package esdev

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
)

// Stats are cumulative counters since New, for tests to assert on what the
// server saw. Item counters cover bulk items and document API calls alike.
type Stats struct {
	BulkRequests   int64 // _bulk requests received, failed ones included
	BulkItems      int64 // items in _bulk requests that parsed
	FailedBulks    int64 // _bulk requests failed as a whole by FailNextBulks
	MalformedBulks int64 // _bulk requests refused as a whole (400) for bad NDJSON
	Created        int64 // documents created (201)
	Updated        int64 // documents overwritten (200)
	Conflicts      int64 // items answered 409 version_conflict_engine_exception
	Rejected       int64 // items answered 400 or 404: mapping, ids, names, JSON, RejectDocs, missing index
	FailedItems    int64 // items answered 429 or 5xx by FailItems
	Searches       int64 // _search and _count requests
	Expired        int64 // documents dropped by WithRetention
}

type counters struct {
	bulkRequests, bulkItems, failedBulks, malformedBulks atomic.Int64
	created, updated, conflicts, rejected, expired       atomic.Int64
	failedItems, searches                                atomic.Int64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.stats
	return Stats{
		BulkRequests: c.bulkRequests.Load(), BulkItems: c.bulkItems.Load(),
		FailedBulks: c.failedBulks.Load(), MalformedBulks: c.malformedBulks.Load(),
		Created: c.created.Load(), Updated: c.updated.Load(), Conflicts: c.conflicts.Load(),
		Rejected: c.rejected.Load(), FailedItems: c.failedItems.Load(), Searches: c.searches.Load(),
		Expired: c.expired.Load(),
	}
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
		for p := range strings.SplitSeq(indexPattern, ",") {
			if globMatch(p, name) {
				n += len(idx.docs)
				break
			}
		}
	}
	return n
}

// Doc returns a copy of the stored _source of a document, decoded with
// plain encoding/json types (numbers are float64).
func (s *Server) Doc(index, id string) (map[string]any, bool) {
	s.mu.RLock()
	idx := s.indices[index]
	var d *doc
	if idx != nil {
		d = idx.docs[id]
	}
	s.mu.RUnlock()
	if d == nil {
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(d.source, &m); err != nil {
		return nil, false
	}
	return m, true
}

// Indices returns the names of all indices, sorted.
func (s *Server) Indices() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.indices))
}

// EachMessage calls fn with the "message" field of every document of index,
// in no particular order, straight from the store: test oracles use it to
// count what was indexed, and it works while the server is closed.
func (s *Server) EachMessage(index string, fn func(message string)) {
	s.mu.RLock()
	var sources [][]byte
	if idx := s.indices[index]; idx != nil {
		sources = make([][]byte, 0, len(idx.docs))
		for _, d := range idx.docs {
			sources = append(sources, d.source)
		}
	}
	s.mu.RUnlock()
	for _, src := range sources {
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(src, &m) == nil {
			fn(m.Message)
		}
	}
}
