package logtransfer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/twmb/franz-go/pkg/kgo"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// env is one test's real infrastructure: embedded etcd, an in-process
// Kafka-protocol broker, the Elasticsearch stand-in and a state directory.
type env struct {
	t     *testing.T
	etcd  *devstack.Etcd
	cli   *clientv3.Client
	kafka *devstack.Kafka
	es    *esdev.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	e := &env{t: t, etcd: devstack.NewEtcd(t), kafka: devstack.NewKafka(t), es: esdev.New()}
	e.cli = devstack.NewEtcdClient(t, e.etcd)
	if err := e.es.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.es.Close() })
	return e
}

// config is a fast-ticking configuration pointing at the env.
func (e *env) config(id string) Config {
	c := DefaultConfig()
	c.Transfer.ID = id
	c.Transfer.StateDir = e.t.TempDir()
	c.Transfer.CommitInterval = 100 * time.Millisecond
	c.Transfer.StatusInterval = 200 * time.Millisecond
	c.Transfer.StatusTTL = 5 * time.Second
	c.Transfer.ShutdownTimeout = 4 * time.Second
	c.Elasticsearch.URLs = []string{e.es.URL()}
	c.Elasticsearch.BulkActions = 100
	c.Elasticsearch.FlushInterval = 20 * time.Millisecond
	c.Elasticsearch.RetryBackoff = 20 * time.Millisecond
	c.Elasticsearch.RetryBackoffMax = 200 * time.Millisecond
	c.Elasticsearch.Timeout = 5 * time.Second
	c.Etcd.Endpoints = []string{e.etcd.Endpoint()}
	c.Etcd.DialTimeout = time.Second
	c.Kafka.Brokers = e.kafka.Addrs()
	c.Kafka.Group = "lt"
	c.Kafka.RetryBackoff = 50 * time.Millisecond
	c.Kafka.RetryBackoffMax = 500 * time.Millisecond
	c.HTTP.Listen = "127.0.0.1:0"
	return c
}

// fastGroups shortens sarama's group timings so rebalances take
// milliseconds, not seconds.
func fastGroups(c *sarama.Config) {
	c.Consumer.Group.Heartbeat.Interval = 100 * time.Millisecond
	c.Consumer.Group.Session.Timeout = 6 * time.Second // the broker minimum
	c.Consumer.Group.Rebalance.Timeout = 3 * time.Second
	c.Consumer.Group.Rebalance.Retry.Backoff = 100 * time.Millisecond
	c.Metadata.RefreshFrequency = 500 * time.Millisecond
}

type running struct {
	*Transfer
	cancel context.CancelFunc
	done   chan error
}

// start runs a transfer until its stop (or test cleanup).
func (e *env) start(cfg Config) *running {
	e.t.Helper()
	return e.startLogging(cfg, devstack.TestLog{TB: e.t})
}

// startLogging is start with the daemon's log lines written to w.
func (e *env) startLogging(cfg Config, w io.Writer) *running {
	e.t.Helper()
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})).With("instance", cfg.Transfer.ID)
	tr, err := New(cfg, log, ops.NewRegistry(), withSarama(fastGroups))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Transfer: tr, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- tr.Run(ctx) }()
	e.t.Cleanup(func() { r.stop(e.t) })
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("transfer Run: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("transfer did not stop within 30s")
	}
}

func (e *env) put(key, val string) {
	e.t.Helper()
	if _, err := e.cli.Put(e.t.Context(), key, val); err != nil {
		e.t.Fatal(err)
	}
}

// produce writes n agent-style records "<tag> line=<i>" numbered from
// first, spread over files (keys) so they land on several partitions. The
// record timestamp is ts (now when zero).
func (e *env) produce(topic, tag string, first, n int, ts time.Time, headers ...kgo.RecordHeader) {
	e.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Addrs()...), kgo.DefaultProduceTopic(topic),
		kgo.AllowAutoTopicCreation())
	if err != nil {
		e.t.Fatal(err)
	}
	defer cl.Close()
	if ts.IsZero() {
		ts = time.Now()
	}
	recs := make([]*kgo.Record, 0, n)
	for i := first; i < first+n; i++ {
		file := fmt.Sprintf("%s-f%d", tag, i%4)
		off := strconv.Itoa(i * 100)
		h := []kgo.RecordHeader{
			{Key: hdrID, Value: []byte(file + "-" + off)},
			{Key: hdrHost, Value: []byte("agent-1")},
			{Key: hdrPath, Value: []byte("/var/log/" + file + ".log")},
			{Key: hdrTS, Value: []byte(strconv.FormatInt(ts.UnixMilli(), 10))},
		}
		recs = append(recs, &kgo.Record{Key: []byte(file), Value: []byte(fmt.Sprintf("%s line=%06d", tag, i)),
			Headers: append(h, headers...), Timestamp: ts})
	}
	if err := cl.ProduceSync(e.t.Context(), recs...).FirstErr(); err != nil {
		e.t.Fatal(err)
	}
}

// committed sums the committed offsets of group on topic (-1 offsets, i.e.
// nothing committed, count as 0).
func (e *env) committed(group, topic string) int64 {
	e.t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	adm, err := sarama.NewClusterAdmin(e.kafka.Addrs(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	defer adm.Close()
	resp, err := adm.ListConsumerGroupOffsets(group, nil)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var sum int64
	for _, b := range resp.Blocks[topic] {
		if b.Offset > 0 {
			sum += b.Offset
		}
	}
	return sum
}

// status reads an instance's status key.
func (e *env) status(id string) (Status, bool) {
	resp, err := e.cli.Get(e.t.Context(), StatusKey(id))
	if err != nil || len(resp.Kvs) == 0 {
		return Status{}, false
	}
	var st Status
	if err := json.Unmarshal(resp.Kvs[0].Value, &st); err != nil {
		e.t.Fatalf("status is not JSON: %v", err)
	}
	return st, true
}

// count is the number of documents in indices matching pattern.
func (e *env) count(pattern string) int { return e.es.Count(pattern) }
