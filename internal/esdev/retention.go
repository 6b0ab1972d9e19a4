package esdev

import "time"

// Retention bounds what each index keeps, so that a long-running demo
// holds a bounded amount of memory. Zero fields mean no bound.
//
// NOTE: Elasticsearch has no such option (ILM deletes whole indices); the
// stand-in drops the oldest documents of an index, searchable or not, as if
// they had never been written. GET _doc and create no longer see them: a
// re-delivery of an expired id is created again.
type Retention struct {
	MaxAge   time.Duration // drop documents written longer ago than this
	MaxBytes int64         // drop the oldest documents while _source sizes sum to more
}

// WithRetention keeps each index within r, checked on every write.
func WithRetention(r Retention) Option {
	return func(s *Server) { s.keep = r }
}

// expireLocked drops idx's oldest documents beyond the retention bounds.
// The caller holds s.mu for writing.
func (s *Server) expireLocked(idx *index, now time.Time) {
	k := s.keep
	if k.MaxAge <= 0 && k.MaxBytes <= 0 {
		return
	}
	n := 0
	for ; n < len(idx.log); n++ {
		d := idx.log[n]
		old := k.MaxAge > 0 && now.Sub(d.at) > k.MaxAge
		big := k.MaxBytes > 0 && idx.bytes > k.MaxBytes
		if !old && !big {
			break
		}
		if idx.docs[d.id] == d {
			delete(idx.docs, d.id)
		}
		idx.bytes -= int64(len(d.source))
		s.stats.expired.Add(1)
	}
	// Re-slicing keeps the backing array until append outgrows it, then
	// append copies only the live part: memory stays within about twice
	// the bound.
	idx.log = idx.log[n:]
}
