package logagent

import (
	"math"
	"time"
)

// A partition's batches are cut at batch_bytes only while it is busy, and at
// half that while it follows a slower stream of lines.
//
// Why: a batch costs ~5× its size of heap (conf.DefaultBatchBytes), and what
// a bigger batch saves is per-request CPU, which only counts when there are
// many requests. A partition taking 3 MB a second (7,000 lines/s) sends a
// few requests per read either way; one in a backlog sends hundreds a second.
// make bench, one core: 128 KiB batches took peak RSS at 7,000 lines/s from
// 25.1-26.4 to 24.2-24.6 MB, but cost ~20 % more CPU at full speed, where
// this keeps 256 KiB.
const (
	// rateWindow is the time constant of a partition's recent rate.
	rateWindow = time.Second
	// busyBatches is how many full batches' worth of bytes a partition
	// takes per rateWindow to count as busy.
	busyBatches = 32
)

// batchSizer tracks the wire bytes a partition cut recently, decayed
// exponentially with rateWindow: at a steady rate it holds about the bytes
// of the last rateWindow, whether they came in one burst per read or as a
// stream.
type batchSizer struct {
	recent float64
	at     time.Time // of the last cut
}

// limit is the size at which the partition's next batch is full, given the
// configured batch_bytes.
func (s *batchSizer) limit(batchBytes int) int {
	if s.recent >= busyBatches*float64(batchBytes) {
		return batchBytes
	}
	return max(batchBytes/2, 1)
}

// cut counts n bytes cut at now.
func (s *batchSizer) cut(now time.Time, n int) {
	if dt := now.Sub(s.at); !s.at.IsZero() && dt > 0 {
		s.recent *= math.Exp(-float64(dt) / float64(rateWindow))
	}
	s.recent += float64(n)
	s.at = now
}
