package mirror

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestMirrorCopiesEveryRecordOnce checks what a user of the IDC cluster
// relies on: every record once, with its partition, key, headers and
// timestamp; a topic created later is picked up within seconds; and the
// source group's offsets end at the end of the log.
func TestMirrorCopiesEveryRecordOnce(t *testing.T) {
	src, dst := newClusters(t)
	// Six partitions where auto-creation would make four: the target topic
	// must get the source's count.
	cl := client(t, src.Addrs(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := createTopic(t.Context(), cl, "orders", 6); err != nil {
		t.Fatal(err)
	}
	orders := produce(t, cl, "orders", 6, 600)
	m, stop := start(t, testConfig(src, dst))
	checkCopies(t, dst.Addrs(), "orders", orders)

	began := time.Now()
	payments := produce(t, cl, "payments", 4, 200)
	devstack.WaitFor(t, 5*time.Second, "a new topic to be mirrored", func() bool {
		return value(m.metrics.Mirrored.WithLabelValues("payments")) >= 200
	})
	t.Logf("a new topic was mirrored %s after it was created", time.Since(began).Round(time.Millisecond))
	checkCopies(t, dst.Addrs(), "payments", payments)

	stop()
	for topic, n := range map[string]int{"orders": 600, "payments": 200} {
		if got := sum(endOffsets(t, dst.Addrs(), topic)); got != int64(n) {
			t.Errorf("%s: target holds %d records, want exactly %d", topic, got, n)
		}
		if got, want := committed(t, src.Addrs(), DefaultGroup, topic), endOffsets(t, src.Addrs(), topic); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: committed source offsets %v, want the end offsets %v", topic, got, want)
		}
	}
}

// TestMirrorRestartReplaysUnacked stops the mirror while the target is down
// with a batch polled but unacknowledged: its offsets must not be committed,
// and the next mirror must deliver it.
func TestMirrorRestartReplaysUnacked(t *testing.T) {
	src, dst := newClusters(t)
	cl := client(t, src.Addrs(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	cfg := testConfig(src, dst)
	cfg.DrainTimeout = 500 * time.Millisecond
	first, stopFirst := start(t, cfg)
	a := produce(t, cl, "logs", 4, 300)
	readDistinct(t, dst.Addrs(), "logs", len(a))

	dst.Stop()
	b := produce(t, cl, "logs", 4, 300)
	devstack.WaitFor(t, 10*time.Second, "the mirror to poll records of the second batch", func() bool {
		return value(first.metrics.Fetched.WithLabelValues("logs")) > float64(len(a))
	})
	stopFirst()
	if got := sum(committed(t, src.Addrs(), DefaultGroup, "logs")); got != int64(len(a)) {
		t.Fatalf("committed %d source offsets while the target was down, want %d (only what it acknowledged)", got, len(a))
	}

	if err := dst.Restart(); err != nil {
		t.Fatal(err)
	}
	_, stopSecond := start(t, cfg)
	all := append(a, b...)
	got := readDistinct(t, dst.Addrs(), "logs", len(all))
	for _, w := range all {
		if _, ok := got[w.id]; !ok {
			t.Errorf("record %s lost across the restart", w.id)
		}
	}
	stopSecond()
	if got := sum(committed(t, src.Addrs(), DefaultGroup, "logs")); got != int64(len(all)) {
		t.Errorf("committed %d source offsets after the replay, want %d", got, len(all))
	}
}

func newClusters(t *testing.T) (src, dst *devstack.Kafka) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	return devstack.NewKafka(t), devstack.NewKafka(t)
}

func testConfig(src, dst *devstack.Kafka) Config {
	c := DefaultConfig()
	c.SourceBrokers, c.TargetBrokers = src.Addrs(), dst.Addrs()
	c.TopicRefresh = 200 * time.Millisecond
	c.MaxBatchRecords = 100 // several batches, several commits
	c.DeliveryTimeout = 2 * time.Second
	return c
}

// start runs a mirror until the returned stop (or the test's cleanup),
// which fails the test if Run does not return within 30 s.
func start(t *testing.T, cfg Config) (m *Mirror, stop func()) {
	t.Helper()
	m, err := New(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("mirror Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("mirror did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return m, stop
}

func client(t *testing.T, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// sent is what a record was produced with.
type sent struct {
	id        string
	partition int32
	key       string
	ts        time.Time
	headers   string
}

// produce writes n records spread over partitions, each with an id
// header, a second header, a key and a timestamp from 2020.
func produce(t *testing.T, cl *kgo.Client, topic string, partitions, n int) []sent {
	t.Helper()
	base := time.Date(2020, 6, 23, 18, 0, 0, 0, time.UTC)
	recs := make([]*kgo.Record, n)
	out := make([]sent, n)
	for i := range n {
		id := fmt.Sprintf("%s-%d-%d", topic, time.Now().UnixNano(), i)
		r := &kgo.Record{Topic: topic, Partition: int32(i % partitions), Key: fmt.Appendf(nil, "file-%d", i%7),
			Value: fmt.Appendf(nil, "line %d of %s", i, topic), Timestamp: base.Add(time.Duration(i) * time.Millisecond),
			Headers: []kgo.RecordHeader{{Key: "lp.id", Value: []byte(id)}, {Key: "lp.host", Value: []byte("app-01")}}}
		recs[i] = r
		out[i] = sent{id: id, partition: r.Partition, key: string(r.Key), ts: r.Timestamp, headers: "lp.host=app-01 lp.id=" + id}
	}
	if err := cl.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return out
}

// readDistinct reads topic until it holds want distinct lp.id values.
func readDistinct(t *testing.T, brokers []string, topic string, want int) map[string]devstack.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	byID := map[string]devstack.Record{}
	_, err := devstack.ReadUntil(ctx, brokers, topic, func(rs []devstack.Record) bool {
		for _, r := range rs {
			byID[r.Headers["lp.id"]] = r
		}
		return len(byID) >= want
	})
	if err != nil {
		t.Fatalf("%v (%d distinct of %d)", err, len(byID), want)
	}
	return byID
}

// checkCopies waits for every record of want in the target and compares
// what a consumer sees there with what was produced.
func checkCopies(t *testing.T, brokers []string, topic string, want []sent) {
	t.Helper()
	got := readDistinct(t, brokers, topic, len(want))
	for _, w := range want {
		g := got[w.id]
		hs := fmt.Sprintf("lp.host=%s lp.id=%s", g.Headers["lp.host"], g.Headers["lp.id"])
		if g.Partition != w.partition || g.Key != w.key || !g.Timestamp.Equal(w.ts) || hs != w.headers || len(g.Headers) != 2 {
			t.Errorf("%s: got partition %d key %q ts %s headers %v; want %d %q %s %s",
				w.id, g.Partition, g.Key, g.Timestamp.UTC(), g.Headers, w.partition, w.key, w.ts, w.headers)
		}
	}
}

// endOffsets lists the high watermark of each partition of topic.
func endOffsets(t *testing.T, brokers []string, topic string) map[int32]int64 {
	t.Helper()
	cl := client(t, brokers)
	n, err := partitionCounts(t.Context(), cl, []string{topic})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range n[topic] {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition, rp.Timestamp = int32(p), -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(t.Context(), cl)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out
}

// committed lists the group's committed offsets of topic.
func committed(t *testing.T, brokers []string, group, topic string) map[int32]int64 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	resp, err := req.RequestWith(t.Context(), client(t, brokers))
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for _, rt := range resp.Topics {
		if rt.Topic != topic {
			continue
		}
		for _, p := range rt.Partitions {
			if p.Offset >= 0 {
				out[p.Partition] = p.Offset
			}
		}
	}
	return out
}

func value(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

func sum(m map[int32]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
