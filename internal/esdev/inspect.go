package esdev

import (
	"encoding/json"
	"maps"
	"slices"
)

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
