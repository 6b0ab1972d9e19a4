package logtransfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ReplayOptions select what a replay ("补录", backfill) re-indexes.
type ReplayOptions struct {
	// Route names the etcd route; RouteJSON, when set, is used instead
	// (offline run without etcd), under the name Route (default "replay";
	// the name picks the index template).
	Route     string
	RouteJSON string
	// From and To bound the record timestamps read.
	From, To time.Time
	// Brokers, when set, replaces [kafka] brokers (read another cluster,
	// e.g. the cloud one, directly).
	Brokers []string
	// Progress receives one line per partition per second.
	Progress io.Writer
}

// ReplayResult counts what a replay did.
type ReplayResult struct {
	Read, Created, Duplicates, DeadLetters int64
}

// String is the replay's final line.
func (r ReplayResult) String() string {
	return fmt.Sprintf("replay: read=%d created=%d duplicates=%d dead_letters=%d", r.Read, r.Created, r.Duplicates, r.DeadLetters)
}

// Replay re-indexes a route's records whose timestamps lie in [From, To],
// with the daemon's document and bulk rules: documents that exist answer 409
// and are counted as duplicates, so replaying an indexed window adds nothing
// and replaying over a deleted index restores it. For every partition it
// starts at the first offset at From (by timestamp) and stops at the first
// record after To or at the end offset seen when it started. It commits no
// consumer-group offsets.
func Replay(ctx context.Context, cfg Config, opts ReplayOptions, log *slog.Logger) (ReplayResult, error) {
	var res ReplayResult
	if !opts.To.After(opts.From) {
		return res, errors.New("replay: -to must be after -from")
	}
	if len(opts.Brokers) > 0 {
		cfg.Kafka.Brokers = opts.Brokers
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	name, route, err := replayRoute(ctx, cfg, opts)
	if err != nil {
		return res, err
	}
	b, err := newDocBuilder(route, cfg.Transfer.location())
	if err != nil {
		return res, err
	}
	es, err := cfg.Elasticsearch.Client(log.With("component", "elasticsearch"))
	if err != nil {
		return res, err
	}
	defer es.Stop()
	tmpl := newTemplates(es, filepath.Join(cfg.Transfer.StateDir, "templates.json"), log.With("component", "templates"))
	if err := tmpl.ensure(ctx, name, route); err != nil {
		return res, err
	}
	kc, err := cfg.Kafka.Sarama()
	if err != nil {
		return res, err
	}
	client, err := sarama.NewClient(cfg.Kafka.Brokers, kc)
	if err != nil {
		return res, fmt.Errorf("kafka: %w", err)
	}
	defer client.Close()
	dlq, err := newDeadLetters(cfg.Kafka, log.With("component", "deadletter"))
	if err != nil {
		return res, err
	}
	defer dlq.close()

	metrics := NewMetrics(prometheus.NewRegistry())
	workCtx, stopWork := context.WithCancel(ctx)
	defer stopWork()
	ix := newIndexer(es, cfg.Elasticsearch, metrics)
	ixDone := make(chan struct{})
	go func() { defer close(ixDone); ix.run(workCtx) }()
	defer func() { stopWork(); <-ixDone }()
	s := &sink{ctx: workCtx, ix: ix, dlq: dlq, budget: newBudget(cfg.Transfer.MaxInflightBytes), metrics: metrics,
		stallBackoff: conf.Backoff(cfg.Elasticsearch.RetryBackoff, cfg.Elasticsearch.RetryBackoffMax)}
	rlog := log.With("route", name)
	l := s.lane(name, conf.NewCondition(rlog), rlog)
	defer l.close()

	var acks sync.WaitGroup
	var nRead, nCreated, nDups, nDead atomic.Int64
	ack := func(o outcome) {
		switch o.result {
		case created:
			nCreated.Add(1)
		case duplicate:
			nDups.Add(1)
		case rejected:
			nDead.Add(1)
		}
		acks.Done()
	}
	submit := func(m *sarama.ConsumerMessage) error {
		acks.Add(1)
		nRead.Add(1)
		if err := l.submit(ctx, b, m, ack); err != nil {
			acks.Done()
			return err
		}
		return nil
	}
	err = replayPartitions(ctx, client, route.Topic, opts, submit)
	allDone := make(chan struct{})
	go func() { acks.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	res = ReplayResult{Read: nRead.Load(), Created: nCreated.Load(), Duplicates: nDups.Load(), DeadLetters: nDead.Load()}
	return res, err
}

// replayRoute finds the route to replay.
func replayRoute(ctx context.Context, cfg Config, opts ReplayOptions) (string, Route, error) {
	name := opts.Route
	if name == "" {
		name = "replay"
	}
	if opts.RouteJSON != "" {
		r, err := DecodeRoute([]byte(opts.RouteJSON))
		return name, r, err
	}
	if opts.Route == "" {
		return "", Route{}, errors.New("replay: -route or -route-json is required")
	}
	ec, err := cfg.Etcd.ClientConfig()
	if err != nil {
		return "", Route{}, err
	}
	cli, err := clientv3.New(ec)
	if err != nil {
		return "", Route{}, fmt.Errorf("etcd client: %w", err)
	}
	defer cli.Close()
	gctx, cancel := context.WithTimeout(ctx, cfg.Etcd.DialTimeout)
	defer cancel()
	resp, err := cli.Get(gctx, RouteKey(name))
	if err != nil {
		return "", Route{}, fmt.Errorf("reading route %s: %w", name, err)
	}
	if len(resp.Kvs) == 0 {
		return "", Route{}, fmt.Errorf("route %s: no key %s in etcd", name, RouteKey(name))
	}
	r, err := decodeRouteKV(RouteKey(name), string(resp.Kvs[0].Value))
	if err != nil {
		return "", Route{}, fmt.Errorf("route %s: %w", name, err)
	}
	return name, r, nil
}

// replayPartitions reads every partition of topic in the window, in
// parallel, handing each record to submit.
func replayPartitions(ctx context.Context, client sarama.Client, topic string, opts ReplayOptions, submit func(*sarama.ConsumerMessage) error) error {
	parts, err := client.Partitions(topic)
	if err != nil {
		return fmt.Errorf("partitions of %s: %w", topic, err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka consumer: %w", err)
	}
	defer consumer.Close()
	var wg sync.WaitGroup
	errs := make([]error, len(parts))
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = replayPartition(ctx, client, consumer, topic, p, opts, submit)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func replayPartition(ctx context.Context, client sarama.Client, consumer sarama.Consumer, topic string, p int32,
	opts ReplayOptions, submit func(*sarama.ConsumerMessage) error) error {
	start, err := client.GetOffset(topic, p, opts.From.UnixMilli())
	if err != nil {
		return fmt.Errorf("partition %d: offset at %s: %w", p, opts.From, err)
	}
	end, err := client.GetOffset(topic, p, sarama.OffsetNewest)
	if err != nil {
		return fmt.Errorf("partition %d: end offset: %w", p, err)
	}
	if start < 0 || start >= end {
		fmt.Fprintf(opts.Progress, "replay: %s/%d: nothing in the window\n", topic, p)
		return nil
	}
	pc, err := consumer.ConsumePartition(topic, p, start)
	if err != nil {
		return fmt.Errorf("partition %d: %w", p, err)
	}
	defer pc.Close()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			fmt.Fprintf(opts.Progress, "replay: %s/%d: offset %d of %d..%d, %d read\n", topic, p, start+int64(n), start, end, n)
		case perr := <-pc.Errors():
			return fmt.Errorf("partition %d: %w", p, perr)
		case m := <-pc.Messages():
			if m.Timestamp.After(opts.To) {
				fmt.Fprintf(opts.Progress, "replay: %s/%d: done at offset %d (past -to), %d read\n", topic, p, m.Offset, n)
				return nil
			}
			if err := submit(m); err != nil {
				return err
			}
			n++
			if m.Offset >= end-1 {
				fmt.Fprintf(opts.Progress, "replay: %s/%d: done at end offset %d, %d read\n", topic, p, end, n)
				return nil
			}
		}
	}
}
