package demo

import (
	"fmt"
	"time"
)

// Metric names the status line reads from the daemons' registries.
const (
	metricAcked    = "logagent_lines_acked_total"
	metricMirrored = "mirror_records_total"
	metricLag      = "logtransfer_consumer_lag"
	// metricLatency is logtransfer's own latency histogram: from the agent
	// reading a line (lp.ts) to the index accepting its document.
	metricLatency = "logtransfer_write_to_index_seconds"
	// latencyWindow is how far back the status line's quantiles look.
	latencyWindow = 10 * time.Second
)

// sample is one status line's worth of counters.
type sample struct {
	elapsed                           time.Duration
	written, acked, mirrored, indexed int64
	lag                               int64
	p50, p99                          time.Duration
	files                             int64
	kept                              Kept
}

func (s sample) String() string {
	return fmt.Sprintf("%4ds written=%d acked=%d mirrored=%d indexed=%d kept=%d lag=%d p50=%dms p99=%dms files=%d",
		int(s.elapsed.Seconds()), s.written, s.acked, s.mirrored, s.indexed, s.kept.Docs, s.lag,
		s.p50.Milliseconds(), s.p99.Milliseconds(), s.files)
}

// monitor takes a sample of the stack once a second; its latency
// quantiles are the clock's over the last latencyWindow. It remembers the
// most the stack kept in any sample.
type monitor struct {
	st    *stack
	gen   *generator
	start time.Time
	peak  Kept
}

func (m *monitor) sample(now time.Time) sample {
	p50, p99 := m.st.clock.tick()
	s := sample{
		elapsed:  now.Sub(m.start),
		written:  m.gen.written.Load(),
		acked:    total(m.st.agentReg, metricAcked),
		mirrored: total(m.st.mirrorReg, metricMirrored),
		indexed:  m.st.es.Stats().Created,
		lag:      total(m.st.transferReg, metricLag),
		p50:      p50,
		p99:      p99,
		files:    m.gen.files.Load(),
		kept: Kept{Docs: int64(m.st.es.Count(IndexPattern)), Records: m.st.records(),
			Lines: m.st.oracle.size()},
	}
	m.peak = m.peak.max(s.kept)
	return s
}
