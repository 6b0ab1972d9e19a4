package esdev

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"
)

// primaryTerm is constant: the stand-in never fails over a primary.
const primaryTerm = 1

// index is one in-memory index. It has a single shard ("0"), so sequence
// numbers are per index.
type index struct {
	name     string
	uuid     string
	created  time.Time
	settings map[string]string
	mapping  *mapping
	aliases  map[string]any
	docs     map[string]*doc
	seqNo    int64 // last assigned sequence number, -1 before the first write
}

// doc is a stored document. It is never mutated after it is stored; a
// write replaces it, so readers holding it need no further locking.
type doc struct {
	id      string
	source  json.RawMessage  // _source exactly as sent (re-encoded after an update)
	parsed  map[string]any   // source decoded with json.Number values
	fields  map[string][]any // flatten(parsed), what queries read
	version int64
	seqNo   int64
}

// newID returns a random 20-character URL-safe id, the shape of the ids
// Elasticsearch generates for documents.
func newID() string { return randomString(15) }

// randomString returns n random bytes, URL-safe base64 encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// newIndexLocked creates and registers an index from the already merged
// settings and mapping. The caller holds s.mu for writing.
func (s *Server) newIndexLocked(name string, settings map[string]string, m *mapping, aliases map[string]any) *index {
	now := time.Now().UTC()
	flat := map[string]string{
		"index.number_of_shards":   "1",
		"index.number_of_replicas": "1",
	}
	maps.Copy(flat, settings)
	idx := &index{
		name: name, uuid: randomString(16), created: now, settings: flat,
		mapping: m, aliases: aliases, docs: make(map[string]*doc), seqNo: -1,
	}
	flat["index.uuid"] = idx.uuid
	flat["index.provided_name"] = name
	flat["index.creation_date"] = strconv.FormatInt(now.UnixMilli(), 10)
	flat["index.version.created"] = "7170099"
	if idx.mapping == nil {
		idx.mapping = newMapping()
	}
	if idx.aliases == nil {
		idx.aliases = map[string]any{}
	}
	s.indices[name] = idx
	s.log.Debug("index created", "index", name)
	return idx
}

// autoCreateLocked creates an index the way a write to a missing index
// does: from the matching templates alone.
func (s *Server) autoCreateLocked(name string) *index {
	settings, m, aliases := s.templateForLocked(name)
	return s.newIndexLocked(name, settings, m, aliases)
}

// docsInOrder returns the index's documents in write order, the order
// Elasticsearch's "_doc" sort approximates.
func (idx *index) docsInOrder() []*doc {
	out := slices.Collect(maps.Values(idx.docs))
	slices.SortFunc(out, func(a, b *doc) int { return int(a.seqNo - b.seqNo) })
	return out
}

// sizeBytes approximates store.size for _cat/indices.
func (idx *index) sizeBytes() int {
	n := 0
	for _, d := range idx.docs {
		n += len(d.source)
	}
	return n
}
