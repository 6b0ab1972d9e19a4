package logagent

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/flow"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// prodFixture is a connected producer on a kfake cluster, fed directly the
// way a harvester feeds it (budget, tracker, build, send).
type prodFixture struct {
	t      *testing.T
	kafka  *devstack.Kafka
	p      *producer
	budget *flow.Budget
	m      *Metrics
	tm     *taskMetrics
}

func newProdFixture(t *testing.T, kafka *devstack.Kafka, tune func(*conf.Kafka)) *prodFixture {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	k := conf.DefaultKafka()
	k.Brokers = kafka.Addrs()
	k.Linger = 5 * time.Millisecond
	k.RetryBackoff, k.RetryBackoffMax = 20*time.Millisecond, 200*time.Millisecond
	if tune != nil {
		tune(&k)
	}
	m := NewMetrics(prometheus.NewRegistry())
	b := flow.NewBudget(64 << 20)
	log := slog.New(slog.NewTextHandler(devstack.TestLog{TB: t}, nil))
	p, err := newProducer(k, b, m, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.close(ctx)
	})
	return &prodFixture{t: t, kafka: kafka, p: p, budget: b, m: m, tm: m.forTask("t")}
}

// testFile is one file's producing side: its record builder, tracker and
// read offset.
type testFile struct {
	tag string
	rb  *recordBuilder
	tr  *flow.Tracker
	off int64
}

func newTestFile(topic, tag string) *testFile {
	return &testFile{tag: tag, rb: newRecordBuilder(topic, "agent", "fid-"+tag, "/"+tag+".log", nil), tr: flow.NewTracker(0)}
}

// send produces lines first..first+n-1 of f (value: lineText, padded to pad
// bytes) and returns them.
func (fx *prodFixture) send(f *testFile, first, n, pad int) []string {
	fx.t.Helper()
	out := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		l := lineText(f.tag, i)
		if len(l) < pad {
			l += " " + randText(pad-len(l)-1)
		}
		out = append(out, l)
		ev := Event{Data: []byte(l), Offset: f.off, End: f.off + int64(len(l)) + 1}
		f.off = ev.End
		size := int64(len(l)) + recordSizeOverhead
		if err := fx.budget.Acquire(fx.t.Context(), size); err != nil {
			fx.t.Fatal(err)
		}
		now := time.Now()
		r := f.rb.build(ev, now, now.UnixMilli())
		r.tr, r.seq, r.end, r.size, r.tm = f.tr, f.tr.Add(), ev.End, size, fx.tm
		if err := fx.p.send(fx.t.Context(), f.rb, r); err != nil {
			fx.t.Fatal(err)
		}
	}
	return out
}

// randText is incompressible filler.
func randText(n int) string {
	const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = abc[rand.IntN(len(abc))]
	}
	return string(b)
}

// waitAcked waits until every line sent of every file is acknowledged, and
// their bytes are back in the budget.
func (fx *prodFixture) waitAcked(files ...*testFile) {
	fx.t.Helper()
	devstack.WaitFor(fx.t, 30*time.Second, "every record acked", func() bool {
		for _, f := range files {
			if pos, n := f.tr.Position(); pos != f.off || n != 0 {
				return false
			}
		}
		return fx.budget.InUse() == 0
	})
}

func (fx *prodFixture) read(topic string, want int) []devstack.Record {
	fx.t.Helper()
	ctx, cancel := context.WithTimeout(fx.t.Context(), 30*time.Second)
	defer cancel()
	recs, err := devstack.ReadUntil(ctx, fx.kafka.Addrs(), topic, func(rs []devstack.Record) bool { return distinctIDs(rs) >= want })
	if err != nil {
		fx.t.Fatalf("reading %s: %v (%d records)", topic, err, len(recs))
	}
	return recs
}

func (fx *prodFixture) failed(reason string) float64 {
	return testutilCounter2(fx.m.Failed.MustCurryWith(prometheus.Labels{"reason": reason}), "t")
}

// countProduce counts the produce requests the cluster receives.
func countProduce(c *kfake.Cluster) *atomic.Int64 {
	var n atomic.Int64
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		n.Add(1)
		return nil, nil, false
	})
	return &n
}

// TestProducerBatchesPerPartition: two files' lines arrive once each, in
// order, in the partition sarama's hash partitioner picks for the file id,
// in far fewer requests than lines; acks return every byte to the budget.
func TestProducerBatchesPerPartition(t *testing.T) {
	kafka := devstack.NewKafka(t)
	requests := countProduce(kafka.Cluster())
	fx := newProdFixture(t, kafka, func(k *conf.Kafka) { k.BatchBytes = 32 << 10 })
	a, b := newTestFile("batch", "a"), newTestFile("batch", "b")
	want := map[string][]string{}
	for i := 0; i < 3000; i += 500 {
		want["a"] = append(want["a"], fx.send(a, i, 500, 200)...)
		want["b"] = append(want["b"], fx.send(b, i, 500, 200)...)
	}
	fx.waitAcked(a, b)
	recs := fx.read("batch", 6000)
	if dups := verify(t, recs, want); dups != 0 {
		t.Errorf("%d duplicates without any fault", dups)
	}
	for _, r := range recs {
		msg := &sarama.ProducerMessage{Key: sarama.StringEncoder(r.Key)}
		wantPart, _ := sarama.NewHashPartitioner("batch").Partition(msg, 4)
		if r.Partition != wantPart {
			t.Fatalf("record of %s in partition %d, sarama's hash partitioner says %d", r.Key, r.Partition, wantPart)
		}
	}
	if n := requests.Load(); n == 0 || n > 6000/20 {
		t.Errorf("%d produce requests for 6000 lines, want batches", n)
	}
	if got := testutilCounter2(fx.m.LinesAcked, "t"); got != 6000 {
		t.Errorf("logagent_lines_acked_total = %v, want 6000", got)
	}
	t.Logf("6000 lines in %d produce requests", requests.Load())
}

// TestProducerRetriesBatchAcrossBrokerRestart: the broker receives a batch
// and goes down before answering; lines keep coming during the outage. The
// batch is re-sent when the broker is back, before anything after it: every
// line arrives, in order.
func TestProducerRetriesBatchAcrossBrokerRestart(t *testing.T) {
	kafka := devstack.NewKafka(t)
	// Small batches, so that several batches' worth queue behind the held
	// one. What is sent while the broker is down must fit the partition
	// queue (one batch_bytes, at least 256 KiB; 800 lines take ~180 KiB):
	// beyond it a sender waits for the broker, and here the sender is the
	// test.
	fx := newProdFixture(t, kafka, func(k *conf.Kafka) { k.BatchBytes = 64 << 10 })
	f := newTestFile("restart", "r")
	want := fx.send(f, 0, 500, 100)
	fx.waitAcked(f)

	c := kafka.Cluster()
	held, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var once sync.Once
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		first := false
		once.Do(func() { first = true })
		if !first {
			return nil, nil, false
		}
		close(held)
		c.SleepControl(func() { <-release }) // woken by the cluster's Close
		return nil, errors.New("broker going down"), true
	})
	want = append(want, fx.send(f, 500, 500, 100)...)
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("no produce request reached the broker")
	}
	kafka.Stop()
	want = append(want, fx.send(f, 1000, 800, 100)...)
	devstack.WaitFor(t, 10*time.Second, "the held batch to fail", func() bool { return fx.failed("unavailable") > 0 })
	if pos, _ := f.tr.Position(); pos >= f.off {
		t.Fatal("acked while the broker was down")
	}
	if err := kafka.Restart(); err != nil {
		t.Fatal(err)
	}
	fx.waitAcked(f)
	recs := fx.read("restart", 1800)
	dups := verify(t, recs, map[string][]string{"r": want})
	t.Logf("broker restart mid-batch: 1800 lines, %d duplicates, failed records counted %v", dups, fx.failed("unavailable"))
}

// TestProducerFollowsMovedLeader: the partition's leader moves to the other
// broker; the old one no longer leads it and refuses the batch. The
// producer refreshes its metadata and re-sends there, in order.
func TestProducerFollowsMovedLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	kafka, err := devstack.StartKafka(t.TempDir(), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kafka.Stop)
	fx := newProdFixture(t, kafka, nil)
	f := newTestFile("moved", "m")
	want := fx.send(f, 0, 1000, 100)
	fx.waitAcked(f)

	part := f.rb.part.i
	c := kafka.Cluster()
	from := c.LeaderFor("moved", part)
	if err := c.MoveTopicPartition("moved", part, 1-from); err != nil {
		t.Fatal(err)
	}
	want = append(want, fx.send(f, 1000, 2000, 100)...)
	fx.waitAcked(f)
	recs := fx.read("moved", 3000)
	verify(t, recs, map[string][]string{"m": want})
	if fx.failed("unavailable") == 0 {
		t.Error("the old leader accepted the batch: the test did not move the partition")
	}
	if fx.p.loop(1-from) != fx.p.topicList()[0].partition(f.rb).leader.Load() {
		t.Error("partition not handed to the new leader's loop")
	}
}

// TestProducerSplitsAndCutsTooLarge: with a broker that takes smaller
// batches than ours, a refused batch goes out record by record, and a record
// alone too large is cut and flagged lp.truncated; order holds.
func TestProducerSplitsAndCutsTooLarge(t *testing.T) {
	kafka := devstack.NewKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "20000"}))
	fx := newProdFixture(t, kafka, func(k *conf.Kafka) { k.Compression = "none"; k.Linger = 50 * time.Millisecond })
	f := newTestFile("large", "l")
	want := fx.send(f, 0, 100, 1000)
	big := fx.send(f, 100, 1, 30000)
	want = append(want, fx.send(f, 101, 10, 1000)...)
	fx.waitAcked(f)
	recs := fx.read("large", 111)
	var cut int
	for i, r := range recs {
		if r.Headers[hdrTruncated] == "true" {
			cut++
			if !strings.HasPrefix(big[0], r.Value) || len(r.Value) >= len(big[0]) {
				t.Errorf("truncated record is not a prefix of the big line (%d bytes)", len(r.Value))
			}
			recs[i].Value = big[0] // for the order check
		}
	}
	if cut != 1 {
		t.Errorf("%d records truncated, want 1", cut)
	}
	verify(t, recs, map[string][]string{"l": append(append(want[:100:100], big...), want[100:]...)})
	if fx.failed("too_large") == 0 {
		t.Error("no batch was refused as too large")
	}
}

func TestProduceVersion(t *testing.T) {
	for _, tt := range []struct {
		v    sarama.KafkaVersion
		want int16
	}{{sarama.V0_11_0_0, 3}, {sarama.V2_8_0_0, 9}, {sarama.V3_7_0_0, 10}} {
		if got := produceVersion(tt.v); got != tt.want {
			t.Errorf("produceVersion(%s) = %d, want %d", tt.v, got, tt.want)
		}
	}

}

// TestProducerFlushEndsLinger: records a harvester flushed (its file has
// nothing more for now) go out at once, in one request, not after the
// linger; records sent without a flush wait for it.
func TestProducerFlushEndsLinger(t *testing.T) {
	kafka := devstack.NewKafka(t)
	requests := countProduce(kafka.Cluster())
	fx := newProdFixture(t, kafka, func(k *conf.Kafka) { k.Linger = time.Hour })
	f := newTestFile("flush", "f")
	fx.send(f, 0, 100, 100)
	fx.p.flush(f.rb)
	fx.waitAcked(f)
	if n := requests.Load(); n != 1 {
		t.Errorf("%d produce requests for one flushed read, want 1", n)
	}
	fx.send(f, 100, 10, 100)
	time.Sleep(200 * time.Millisecond) // NOTE: proving an absence: the linger is an hour
	if pos, n := f.tr.Position(); n == 0 || pos == f.off {
		t.Errorf("records sent without a flush were acked before their linger (position %d of %d)", pos, f.off)
	}
	fx.p.flush(f.rb)
	fx.waitAcked(f)
}
