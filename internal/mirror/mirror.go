package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Retry backoff of a batch the target did not fully acknowledge.
const (
	retryBackoff    = 100 * time.Millisecond
	retryBackoffMax = 5 * time.Second
)

// Mirror copies the matching topics of a source cluster to a target
// cluster. It is the local stand-in for MirrorMaker 2 (see the package doc).
type Mirror struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	// ensured holds the target topics known to exist with enough
	// partitions; only Run's goroutine touches it.
	ensured map[string]int
}

// New checks cfg and registers the metrics in reg. No connection is made
// before Run.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) (*Mirror, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Mirror{cfg: cfg, log: log, metrics: NewMetrics(reg), ensured: map[string]int{}}, nil
}

// Run mirrors until ctx is done. Each poll is a batch: it is produced to
// the target, and only once every record is acknowledged are its offsets
// committed on the source; then the next poll starts. When ctx ends, the
// batch in hand gets DrainTimeout to be acknowledged and committed; what
// is not is replayed by the next Run. Run returns an error only when the
// clients cannot be built.
func (m *Mirror) Run(ctx context.Context) error {
	src, err := kgo.NewClient(
		kgo.SeedBrokers(m.cfg.SourceBrokers...),
		kgo.ClientID(m.cfg.Group),
		kgo.ConsumerGroup(m.cfg.Group),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics(m.cfg.Topics),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.FetchMaxBytes(m.cfg.MaxFetchBytes),
		// A fetch parked on idle partitions holds back partitions assigned
		// meanwhile (a new topic) until it returns: keep it short.
		kgo.FetchMaxWait(min(m.cfg.TopicRefresh, 500*time.Millisecond)),
		kgo.MetadataMaxAge(m.cfg.TopicRefresh),
		kgo.MetadataMinAge(min(m.cfg.TopicRefresh, 250*time.Millisecond)),
		kgo.WithLogger(slogger{m.log.With("client", "source")}),
	)
	if err != nil {
		return fmt.Errorf("source client: %w", err)
	}
	dst, err := kgo.NewClient(
		kgo.SeedBrokers(m.cfg.TargetBrokers...),
		kgo.ClientID(m.cfg.Group),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		// NOTE: without it an idempotent producer refuses to give up on a
		// record in flight to a dead broker, and neither the retry timeout
		// nor the drain deadline could end a batch. A batch given up is
		// produced again, so this trades kgo's duplicate avoidance for
		// bounded waits; the mirror is at-least-once anyway.
		kgo.AllowIdempotentProduceCancellation(),
		kgo.WithLogger(slogger{m.log.With("client", "target")}),
	)
	if err != nil {
		src.Close()
		return fmt.Errorf("target client: %w", err)
	}
	// Leave the group before the producer goes, so no partition stays
	// assigned to a member that can no longer deliver.
	defer dst.Close()
	defer src.Close()

	// work outlives ctx by DrainTimeout: the batch in hand is delivered and
	// committed under it.
	work, abandon := context.WithCancel(context.WithoutCancel(ctx))
	drainDone := make(chan struct{})
	go func() {
		defer close(drainDone)
		select {
		case <-ctx.Done():
		case <-work.Done():
			return
		}
		t := time.NewTimer(m.cfg.DrainTimeout)
		defer t.Stop()
		select {
		case <-t.C:
			abandon()
		case <-work.Done():
		}
	}()
	defer func() { abandon(); <-drainDone }()

	m.log.Info("mirror started", "group", m.cfg.Group, "topics", m.cfg.Topics,
		"source", m.cfg.SourceBrokers, "target", m.cfg.TargetBrokers)
	for ctx.Err() == nil {
		fs := src.PollRecords(ctx, m.cfg.MaxBatchRecords)
		if fs.IsClientClosed() || ctx.Err() != nil {
			// Records of this last poll are not committed: the next Run
			// reads them again.
			src.AllowRebalance()
			break
		}
		fs.EachError(func(topic string, p int32, err error) {
			m.log.Warn("fetch failed, retrying", "topic", topic, "partition", p, "err", err)
		})
		if recs := fs.Records(); len(recs) > 0 {
			m.transfer(work, src, dst, recs)
		}
		src.AllowRebalance()
	}
	m.log.Info("mirror stopped")
	return nil
}

// transfer delivers one polled batch to the target, retrying until every
// record is acknowledged or work ends, then commits the batch's offsets.
func (m *Mirror) transfer(work context.Context, src, dst *kgo.Client, recs []*kgo.Record) {
	for _, r := range recs {
		m.metrics.Fetched.WithLabelValues(r.Topic).Inc()
	}
	backoff := retryBackoff
	for {
		err := m.deliver(work, src, dst, recs)
		if err == nil {
			break
		}
		if work.Err() != nil {
			m.log.Warn("stopped before the target acknowledged the batch; it will be replayed",
				"records", len(recs), "err", err)
			return
		}
		m.metrics.Retries.Inc()
		m.log.Warn("target did not acknowledge the batch, retrying", "records", len(recs), "backoff", backoff, "err", err)
		select {
		case <-work.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, retryBackoffMax)
	}
	if err := src.CommitRecords(work, recs...); err != nil {
		// Not fatal: the copies are in the target, and a later commit
		// covers these offsets; a restart before it replays them.
		m.metrics.Commits.WithLabelValues("error").Inc()
		m.log.Warn("committing source offsets failed", "records", len(recs), "err", err)
		return
	}
	m.metrics.Commits.WithLabelValues("ok").Inc()
}

// deliver produces copies of recs to the same topic and partition of the
// target and waits for every acknowledgement.
func (m *Mirror) deliver(ctx context.Context, src, dst *kgo.Client, recs []*kgo.Record) error {
	if err := m.ensureTopics(ctx, src, dst, recs); err != nil {
		return err
	}
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value,
			Headers: r.Headers, Timestamp: r.Timestamp}
	}
	// NOTE: not kgo.RecordDeliveryTimeout: kgo measures it from the record
	// timestamp, which is the source's and can be hours old. A context per
	// attempt bounds it instead. kgo notices a cancelled record only between
	// its own retries (seconds, with a broker down), so the wait below
	// returns at once and kgo fails or delivers the records later; both are
	// harmless, as this batch is not committed.
	pctx, cancel := context.WithTimeout(ctx, m.cfg.DeliveryTimeout)
	defer cancel()
	acks := make(chan produced, len(out)) // never blocks kgo's callbacks
	for _, r := range out {
		dst.Produce(pctx, r, func(r *kgo.Record, err error) { acks <- produced{r, err} })
	}
	var errs []error
	for range out {
		var a produced
		select {
		case a = <-acks:
		case <-pctx.Done():
			return fmt.Errorf("producing to target: %w", errors.Join(append(errs, pctx.Err())...))
		}
		if a.err != nil {
			if len(errs) < 3 {
				errs = append(errs, fmt.Errorf("%s/%d: %w", a.r.Topic, a.r.Partition, a.err))
			}
			continue
		}
		m.metrics.Mirrored.WithLabelValues(a.r.Topic).Inc()
		m.metrics.Bytes.WithLabelValues(a.r.Topic).Add(float64(len(a.r.Key) + len(a.r.Value)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("producing to target: %w", errors.Join(errs...))
	}
	return nil
}

// produced is the outcome of one record sent to the target.
type produced struct {
	r   *kgo.Record
	err error
}
