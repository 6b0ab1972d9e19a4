package bench

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// shipped is an agent shipping a pre-written file of n lines: its CPU over
// the lines after the first tenth, and the whole run's.
type shipped struct {
	steadyCPU   time.Duration // CPU from the first tenth acked to the last line
	steadyLines int64         // lines in that span
	totalCPU    time.Duration // CPU since the agent started
	elapsed     time.Duration // from start to the last line acked
}

// cpuPerMline is the steady span's CPU-s per million lines.
func (s shipped) cpuPerMline() float64 {
	return s.steadyCPU.Seconds() / (float64(s.steadyLines) / 1e6)
}

// waitShipped waits until the broker holds n lines of topic and measures the
// agent's CPU over the lines after the first tenth. Start-up (connecting to
// etcd and Kafka, the first scan, the runtime's first GCs) is a fixed cost
// of ~0.1-0.3 CPU-s: counted in a per-line figure it made runs of 125,000
// and 2,000,000 lines differ by 2x.
func waitShipped(ctx context.Context, cl *kgo.Client, topic string, n int64, start time.Time, agent, broker *Proc) (shipped, error) {
	var s shipped
	var held int64
	err := waitUntil(ctx, 5*time.Minute, 5*time.Millisecond, "the first tenth of the lines", func() (bool, error) {
		var err error
		held, err = highWater(ctx, cl, topic)
		return held >= n/10, err
	}, agent, broker)
	if err != nil {
		return s, err
	}
	cpu0, err := cpuTime(agent.Pid())
	if err != nil {
		return s, err
	}
	held0 := held
	err = waitUntil(ctx, 5*time.Minute, 20*time.Millisecond, "the broker to hold every line", func() (bool, error) {
		var err error
		held, err = highWater(ctx, cl, topic)
		return held >= n, err
	}, agent, broker)
	if err != nil {
		return s, err
	}
	s.elapsed = time.Since(start)
	if s.totalCPU, err = cpuTime(agent.Pid()); err != nil {
		return s, err
	}
	s.steadyCPU, s.steadyLines = s.totalCPU-cpu0, n-held0
	return s, nil
}
