package esdev

import (
	"encoding/json"
	"time"
)

// Retention bounds what the stand-in keeps, so that a long-running demo
// holds a bounded amount of memory. Zero fields mean no bound.
//
// NOTE: Elasticsearch has no such option: its ILM delete phase removes
// whole indices once they are old enough (ilm-delete.html), which for daily
// indices means keeping a day or more. The stand-in drops single documents,
// the oldest-written first over all indices, as if they had never been
// written: searches, GET _doc and create no longer see them, so a
// re-delivery of an expired id is created again. An index left empty stays
// (its settings and mappings), without the memory its documents held.
type Retention struct {
	// MaxDocs is how many stored documents (over all indices) the
	// stand-in keeps; a write beyond it drops the oldest.
	MaxDocs int
	// MaxAge drops documents written longer ago than this. It is checked on
	// every write: while nothing is written, nothing expires.
	MaxAge time.Duration
}

// Expired is a document retention dropped.
type Expired struct {
	Index string
	ID    string
	// Seq is its sequence number in its index: the value a search sorted
	// on _doc returned for it.
	Seq    int64
	Source json.RawMessage
}

// ExpireFunc is told, oldest first, what one write made retention drop.
//
// NOTE: it runs under the server's write lock, so that no search answer
// can fall between a document's expiry and the call: whoever reads the
// documents through searches can tell exactly which ones it read before
// they expired. It must be quick and must not call the Server.
type ExpireFunc func(docs []Expired)

// WithRetention keeps the stand-in within r, telling onExpire (if not nil)
// what it drops.
func WithRetention(r Retention, onExpire ExpireFunc) Option {
	return func(s *Server) { s.keep, s.onExpire = r, onExpire }
}

// expireLocked drops the oldest documents beyond s.keep at now. The caller
// holds s.mu for writing.
func (s *Server) expireLocked(now time.Time) {
	k := s.keep
	if k.MaxDocs <= 0 && k.MaxAge <= 0 {
		return
	}
	stored := 0
	for _, idx := range s.indices {
		stored += len(idx.log)
	}
	var gone []Expired
	for stored > 0 {
		idx := s.oldestLocked()
		d := idx.log[0]
		if (k.MaxDocs <= 0 || stored <= k.MaxDocs) && (k.MaxAge <= 0 || now.Sub(d.at) <= k.MaxAge) {
			break
		}
		idx.log[0] = nil // let the document go before append reallocates the log
		idx.log = idx.log[1:]
		delete(idx.docs, d.id)
		if len(idx.log) == 0 {
			// A Go map never shrinks: an emptied index (yesterday's, in
			// the demo) gets a new one.
			idx.log, idx.docs = nil, map[string]*doc{}
		}
		idx.bytes -= int64(len(d.source))
		stored--
		s.bump(&s.stats.Expired, 1)
		if s.onExpire != nil {
			gone = append(gone, Expired{Index: idx.name, ID: d.id, Seq: d.seqNo, Source: d.source})
		}
	}
	if len(gone) > 0 {
		s.onExpire(gone)
	}
}

// oldestLocked returns the index holding the oldest-written stored
// document (the first name on a tie). There is one while any is stored.
func (s *Server) oldestLocked() *index {
	var oldest *index
	for _, idx := range s.indices {
		if len(idx.log) == 0 {
			continue
		}
		if oldest == nil || idx.log[0].at.Before(oldest.log[0].at) ||
			(idx.log[0].at.Equal(oldest.log[0].at) && idx.name < oldest.name) {
			oldest = idx
		}
	}
	return oldest
}
