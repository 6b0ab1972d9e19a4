package logagent

import (
	"math"
	"time"
)

// A partition's batches are cut at half batch_bytes while it follows a
// moderate stream of lines, and at batch_bytes while it is busy or quiet.
//
// Why: a batch costs ~5× its size of heap (conf.DefaultBatchBytes), and what
// a bigger batch saves is per-request CPU, which only counts when there are
// many requests. A partition taking 3 MB a second (7,000 lines/s) sends a
// few requests per read either way; one in a backlog sends hundreds a
// second, where half batches cost ~20 % more CPU. A quiet one sends a read's
// lines in one request, and halving would double its requests for little
// memory: a read's lines are less than a batch.
// make bench, one core, 7,000 lines/s, 13 interleaved runs each: peak RSS
// 24.2-26.1 → 24.2-24.6 MB, CPU medians 2.15 → 2.28 %.
const (
	// rateWindow is the time constant of a partition's recent rate.
	rateWindow = time.Second
	// busyBatches is how many full batches' worth of bytes a partition
	// takes per rateWindow to count as busy.
	busyBatches = 32
	// quietBatches is the most a partition takes per rateWindow and still
	// counts as quiet: about one batch per read at the default
	// read_interval (200ms), so a read's lines fit one request.
	quietBatches = 5
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
	b := float64(batchBytes)
	if s.recent < quietBatches*b || s.recent >= busyBatches*b {
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
