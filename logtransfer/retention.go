package logtransfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// Data at risk, said before it is lost: Kafka deletes a record once it is
// older than its topic's retention.ms, whether or not a route indexed it.
// A route that stalls (its index refuses writes, Elasticsearch is down) or
// cannot keep up loses what it never indexed when its lag in time passes the
// retention. retentionWatch compares, for each partition the route owns, the
// age of its oldest unindexed record (the record at the tracker's contiguous
// position: the offset the route would resume from) with the topic's
// retention.ms read from the broker, and warns when the ratio passes
// [transfer] retention_warn_fraction: a gauge per partition, the route's
// retention_risk in the status key, one log line per interval (a second
// conf.Condition, so the route's own state is not touched: a lagging route
// is not failing), and the LogtransferRetentionAtRisk alert on the gauge.
//
// Cost: per check (status_interval) one fetch per owned partition that is
// behind, and a DescribeConfigs every retentionRefresh; a caught-up
// partition costs nothing.
type retentionWatch struct {
	route, topic string
	brokers      []string
	cfg          *sarama.Config
	fraction     float64
	every        time.Duration
	h            *handler
	metrics      *Metrics
	cond         *conf.Condition
	log          *slog.Logger

	mu        sync.Mutex
	retention time.Duration // 0: not known yet, or unlimited (-1)
	parts     map[int32]partitionRisk
}

// partitionRisk is one owned partition's last check.
type partitionRisk struct {
	age   time.Duration // of the oldest unindexed record; 0 when caught up
	ratio float64       // age / retention
}

// retentionRefresh is how often the topic's retention.ms is read again.
const retentionRefresh = time.Minute

// fetchTimeout bounds the fetch of one record's timestamp.
const fetchTimeout = 5 * time.Second

// run checks every interval until ctx ends, then deletes the route's gauges.
func (w *retentionWatch) run(ctx context.Context) {
	defer w.metrics.RetentionUsed.DeletePartialMatch(map[string]string{"route": w.route})
	var client sarama.Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	var readAt time.Time
	unreadable := false // logged that retention.ms cannot be read
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if client == nil {
			// A timestamp needs one record: fetch the least the broker
			// allows (one record batch), not a route's prefetch.
			cfg := *w.cfg
			cfg.Consumer.Fetch.Default, cfg.ChannelBufferSize = 1<<10, 1
			c, err := sarama.NewClient(w.brokers, &cfg)
			if err != nil {
				continue // the route's own consumer reports Kafka trouble
			}
			client = c
		}
		if time.Since(readAt) >= retentionRefresh {
			r, err := topicRetention(client, w.topic)
			switch {
			case err == nil:
				w.mu.Lock()
				w.retention = r
				w.mu.Unlock()
				readAt, unreadable = time.Now(), false
			case !unreadable:
				// Once per failing spell: without it the risk is not checked.
				w.log.Warn("cannot read the topic's retention.ms; lag is not checked against it", "topic", w.topic, "err", err)
				unreadable = true
			}
		}
		w.check(ctx, client, time.Now())
	}
}

// check measures every owned partition against the retention.
func (w *retentionWatch) check(ctx context.Context, client sarama.Client, now time.Time) {
	w.mu.Lock()
	retention := w.retention
	w.mu.Unlock()
	parts := map[int32]partitionRisk{}
	worst := 0.0
	for p, head := range w.h.unindexed() {
		var pr partitionRisk
		if head >= 0 {
			ts, err := recordTime(ctx, client, w.topic, p, head)
			switch {
			case errors.Is(err, sarama.ErrOffsetOutOfRange):
				pr.age = retention // already deleted: the risk came true
			case err != nil:
				continue // unknown this time
			default:
				pr.age = max(now.Sub(ts), 0)
			}
		}
		if retention > 0 {
			pr.ratio = float64(pr.age) / float64(retention)
			w.metrics.RetentionUsed.WithLabelValues(w.route, strconv.Itoa(int(p))).Set(pr.ratio)
		}
		parts[p] = pr
		worst = max(worst, pr.ratio)
	}
	w.mu.Lock()
	for p := range w.parts {
		if _, ok := parts[p]; !ok {
			w.metrics.RetentionUsed.DeleteLabelValues(w.route, strconv.Itoa(int(p)))
		}
	}
	w.parts = parts
	w.mu.Unlock()
	if retention > 0 && worst >= w.fraction {
		// The reason is stable (no ratio in it): it keys the log's rate limit.
		w.cond.Trouble(conf.StateWaiting, fmt.Sprintf("oldest unindexed record nears the retention.ms of topic %s (%s): records older are deleted unindexed",
			w.topic, retention))
	} else {
		w.cond.OK()
	}
}

// RetentionRisk is a route's lag in time against its topic's retention, in
// the status key; present only once a partition passed the warn fraction.
type RetentionRisk struct {
	conf.Health
	RetentionMs int64 `json:"retention_ms"`
	// Worst is the highest ratio of an owned partition (age of its oldest
	// unindexed record / retention.ms), two decimals.
	Worst float64 `json:"worst_ratio"`
}

// status is the route's risk for the status key (nil: none), and each
// owned partition's last check.
func (w *retentionWatch) status() (*RetentionRisk, map[int32]partitionRisk) {
	w.mu.Lock()
	parts, retention := w.parts, w.retention
	w.mu.Unlock()
	h := w.cond.Health()
	if !h.Degraded() {
		return nil, parts
	}
	rr := &RetentionRisk{Health: h, RetentionMs: retention.Milliseconds()}
	for _, p := range parts {
		rr.Worst = max(rr.Worst, round2(p.ratio))
	}
	return rr, parts
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// topicRetention reads topic's retention.ms from the broker; 0 when the
// topic keeps records forever (-1) or the broker does not say.
func topicRetention(client sarama.Client, topic string) (time.Duration, error) {
	b, err := client.Controller()
	if err != nil {
		return 0, err
	}
	resp, err := b.DescribeConfigs(&sarama.DescribeConfigsRequest{
		Resources: []*sarama.ConfigResource{{Type: sarama.TopicResource, Name: topic, ConfigNames: []string{"retention.ms"}}},
	})
	if err != nil {
		return 0, fmt.Errorf("describing topic %s: %w", topic, err)
	}
	for _, r := range resp.Resources {
		if r.ErrorCode != 0 {
			return 0, fmt.Errorf("describing topic %s: %w", topic, sarama.KError(r.ErrorCode))
		}
		for _, e := range r.Configs {
			if e.Name == "retention.ms" {
				ms, err := strconv.ParseInt(e.Value, 10, 64)
				if err != nil || ms <= 0 {
					return 0, nil
				}
				return time.Duration(ms) * time.Millisecond, nil
			}
		}
	}
	return 0, nil
}

// recordTime fetches the timestamp of the record at offset of partition p.
func recordTime(ctx context.Context, client sarama.Client, topic string, p int32, offset int64) (time.Time, error) {
	c, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, p, offset)
	if err != nil {
		return time.Time{}, err
	}
	defer pc.AsyncClose()
	t := time.NewTimer(fetchTimeout)
	defer t.Stop()
	select {
	case m := <-pc.Messages():
		return m.Timestamp, nil
	case err := <-pc.Errors():
		return time.Time{}, err
	case <-t.C:
		return time.Time{}, errors.New("no record within the fetch timeout")
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}
