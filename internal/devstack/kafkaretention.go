package devstack

import (
	"context"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Retention is what a cluster keeps of each partition: a broker's
// log.retention.ms and log.retention.bytes. Zero fields keep kfake's
// defaults (7 days, no size bound).
type Retention struct {
	Age               time.Duration
	BytesPerPartition int64
	// SegmentBytes is log.segment.bytes: retention deletes a segment's file
	// only once every record in it expired, so smaller segments bound the
	// data directory closer to the retention (kfake's default is 100 MiB).
	SegmentBytes int64
}

// Opt returns the broker configs of r, for StartKafka or NewKafka.
func (r Retention) Opt() kfake.Opt {
	cfg := map[string]string{}
	for key, v := range map[string]int64{"log.retention.ms": r.Age.Milliseconds(),
		"log.retention.bytes": r.BytesPerPartition, "log.segment.bytes": r.SegmentBytes} {
		if v > 0 {
			cfg[key] = strconv.FormatInt(v, 10)
		}
	}
	return kfake.BrokerConfigs(cfg)
}

// EnforceRetention applies the cluster's retention (see Retention.Opt)
// every interval until ctx is done, skipping while the cluster is stopped.
//
// NOTE: kfake enforces retention only when asked (Cluster.ApplyRetention):
// its own cleaner runs only for topics with a retention config of their
// own, and topics created on first use have none. A real broker checks
// every log.retention.check.interval.ms (5 minutes by default).
func (k *Kafka) EnforceRetention(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Under k.mu, so that Stop cannot close the cluster meanwhile:
			// a closed cluster never answers, and ApplyRetention would wait
			// forever.
			k.mu.Lock()
			if k.cluster != nil {
				k.cluster.ApplyRetention()
			}
			k.mu.Unlock()
		}
	}
}
