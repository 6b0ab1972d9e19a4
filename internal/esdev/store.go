package esdev

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"strconv"
	"time"
)

// Defaults of the index settings the stand-in reads.
const (
	defaultRefresh     = time.Second // index.refresh_interval
	defaultFieldsLimit = 1000        // index.mapping.total_fields.limit
	primaryTerm        = 1           // constant: the stand-in never fails over a primary
)

// index is one in-memory index with a single shard, so sequence numbers
// are per index.
//
// NOTE: documents are near-real-time, as in Elasticsearch. A write goes to
// docs at once (what GET _doc and create's 409 see) and to the end of log;
// searches see only the log entries up to visibleSeq, which a refresh
// moves to the last write. Refreshes run every refreshEvery from the
// index's creation while writes are pending, on POST _refresh, and on
// ?refresh=true.
type index struct {
	name, uuid   string
	created      time.Time
	settings     map[string]string // flat "index.x" keys, as Elasticsearch stores them
	mapping      *mapping
	refreshEvery time.Duration // <= 0: only explicit refreshes
	fieldsLimit  int

	docs       map[string]*doc
	log        []*doc // every stored document in write order, oldest first
	visibleSeq int64  // the last sequence number a refresh made searchable
	seqNo      int64  // last assigned sequence number, -1 before the first write
	bytes      int64  // sum of the _source sizes in log
	timer      *time.Timer
	refreshed  chan struct{} // closed (and replaced) by each refresh
}

// doc is one stored document, never changed: documents are only created
// (version 1), never overwritten.
type doc struct {
	id     string
	source json.RawMessage  // _source exactly as sent
	fields map[string][]any // leaf path → values, what queries read
	seqNo  int64
	at     time.Time
}

// visibleDocs calls fn with each searchable document in write order.
func (idx *index) visibleDocs(fn func(*doc)) {
	for _, d := range idx.log {
		if d.seqNo > idx.visibleSeq {
			return
		}
		fn(d)
	}
}

// randomString returns 4n/3 random URL-safe characters: n 15 gives the
// 20-character shape of the ids Elasticsearch generates.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// newIndexLocked registers an index from already merged and validated
// settings. The caller holds s.mu for writing.
func (s *Server) newIndexLocked(name string, settings map[string]string, m *mapping) *index {
	flat := map[string]string{"index.number_of_shards": "1", "index.number_of_replicas": "1"}
	maps.Copy(flat, settings)
	idx := &index{name: name, uuid: randomString(16), created: time.Now(), settings: flat, mapping: m,
		docs: make(map[string]*doc), seqNo: -1, visibleSeq: -1, refreshed: make(chan struct{})}
	idx.refreshEvery, _ = refreshInterval(flat)
	idx.fieldsLimit, _ = strconv.Atoi(flat["index.mapping.total_fields.limit"])
	if idx.fieldsLimit <= 0 {
		idx.fieldsLimit = defaultFieldsLimit
	}
	s.indices[name] = idx
	s.log.Debug("index created", "index", name)
	return idx
}

// addLocked stores d, applies retention and schedules the next periodic
// refresh. The caller holds s.mu.
func (s *Server) addLocked(idx *index, d *doc) {
	idx.docs[d.id] = d
	idx.log = append(idx.log, d)
	idx.bytes += int64(len(d.source))
	s.expireLocked(d.at)
	if idx.timer != nil || idx.refreshEvery <= 0 {
		return
	}
	// Periodic refreshes tick at creation + k·interval, like a scheduler
	// started with the index; the timer only runs while writes are pending.
	next := idx.created.Add((d.at.Sub(idx.created)/idx.refreshEvery + 1) * idx.refreshEvery)
	var t *time.Timer
	t = time.AfterFunc(next.Sub(d.at), func() {
		s.mu.Lock()
		refreshed := map[string][]json.RawMessage{}
		if s.indices[idx.name] == idx && idx.timer == t { // not deleted, not refreshed meanwhile
			refreshed[idx.name] = s.refreshLocked(idx)
		}
		s.mu.Unlock()
		s.notifyRefresh(refreshed)
	})
	idx.timer = t
}

// refreshLocked makes every write so far searchable and releases the
// ?refresh=wait_for requests waiting on idx. It returns the sources newly
// made searchable when a RefreshFunc wants them. The caller holds s.mu.
func (s *Server) refreshLocked(idx *index) []json.RawMessage {
	if idx.timer != nil {
		idx.timer.Stop()
		idx.timer = nil
	}
	var srcs []json.RawMessage
	if s.onRefresh != nil {
		for i := len(idx.log) - 1; i >= 0 && idx.log[i].seqNo > idx.visibleSeq; i-- {
			srcs = append(srcs, idx.log[i].source) // newest first
		}
	}
	idx.visibleSeq = idx.seqNo
	close(idx.refreshed)
	idx.refreshed = make(chan struct{})
	return srcs
}

// notifyRefresh tells the RefreshFunc, outside the locks, what refreshes
// made searchable, by index.
func (s *Server) notifyRefresh(refreshed map[string][]json.RawMessage) {
	for name, srcs := range refreshed {
		if s.onRefresh != nil && len(srcs) > 0 {
			s.onRefresh(name, time.Now(), srcs)
		}
	}
}
