package bench

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record headers of the logagent → logtransfer record format (README,
// "Record format"). The harness writes them to pre-fill topics and reads
// lp.id to count distinct lines; it keeps its own copy so it does not share
// code with the daemons it measures.
const (
	hdrID   = "lp.id"
	hdrHost = "lp.host"
	hdrPath = "lp.path"
	hdrTS   = "lp.ts"
)

// broker is a benchbroker child: one kfake broker persisting into dir, which
// can be killed and started again on the same port with its records.
type broker struct {
	ch   *children
	bin  string
	dir  string
	cpus []int
	port int
	proc *Proc
	Addr string
}

func startBroker(ch *children, bin, dir string, cpus []int) (*broker, error) {
	b := &broker{ch: ch, bin: bin, dir: dir, cpus: cpus}
	return b, b.start()
}

func (b *broker) start() error {
	p, addr, err := b.ch.start(procSpec{name: "broker", bin: b.bin, cpus: b.cpus, addr: true,
		args: []string{"-data-dir", b.dir, "-port", strconv.Itoa(b.port)}})
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.Kill()
		return fmt.Errorf("broker address %q: %w", addr, err)
	}
	b.port, _ = strconv.Atoi(port)
	b.proc, b.Addr = p, addr
	return nil
}

// restart starts a stopped broker on its old port with its records.
func (b *broker) restart() error { return b.start() }

// stop ends the broker with SIGTERM: it closes its data directory cleanly
// and refuses connections until restarted.
//
// NOTE: not SIGKILL. kfake recovers nothing from a data directory it did
// not close (the high-water marks restart at 0 while the old segment stays
// on disk), which would count as lost lines that the agent had delivered.
func (b *broker) stop() { _ = b.proc.Stop(10 * time.Second) }

// client is a franz-go client of the broker, independent of sarama, which
// both daemons use.
func (b *broker) client(opts ...kgo.Opt) (*kgo.Client, error) {
	return kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)...)
}

// highWater is the sum of topic's partition high-water marks: the records
// the broker holds (0 while the topic does not exist).
func highWater(ctx context.Context, cl *kgo.Client, topic string) (int64, error) {
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	if len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode == kerr.UnknownTopicOrPartition.Code {
		return 0, nil
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, fmt.Errorf("list offsets: %w", err)
	}
	var sum int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return 0, fmt.Errorf("list offsets of %s/%d: %w", topic, p.Partition, err)
			}
			sum += p.Offset
		}
	}
	return sum, nil
}

// distinct reads topic from the start until it has seen want distinct lp.id
// headers or timeout passes, and returns the records read and the distinct
// ids among them. Ids are kept as 64-bit hashes: for a few million lines
// the chance of one collision is below 1e-6.
func distinct(ctx context.Context, b *broker, topic string, want int64, timeout time.Duration) (records, ids int64, err error) {
	cl, err := b.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(64<<20))
	if err != nil {
		return 0, 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	seen := make(map[uint64]struct{}, want)
	h := fnv.New64a()
	for int64(len(seen)) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			for _, x := range r.Headers {
				if x.Key == hdrID {
					h.Reset()
					_, _ = h.Write(x.Value)
					seen[h.Sum64()] = struct{}{}
				}
			}
		})
	}
	return records, int64(len(seen)), nil
}

// prefill produces n agent-style records (lp.* headers, lz4 batches, four
// files keyed to partitions) to topic, as logagent would have. pad > 0
// lengthens each line to pad bytes with random letters (lz4 cannot shrink
// them much, so fetch sizes mean what they say).
func prefill(ctx context.Context, b *broker, topic string, n, pad int) error {
	cl, err := b.client(kgo.DefaultProduceTopic(topic), kgo.AllowAutoTopicCreation(),
		kgo.ProducerBatchCompression(kgo.Lz4Compression()), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(100_000))
	if err != nil {
		return err
	}
	defer cl.Close()
	const files = 4
	var offsets [files]int64
	g := newLineGen(3)
	padRand := rand.New(rand.NewPCG(4, 4))
	now := time.Now()
	ts := []byte(strconv.FormatInt(now.UnixMilli(), 10))
	var (
		mu       sync.Mutex
		firstErr error
	)
	for i := range n {
		f := i % files
		id := fmt.Sprintf("benchfile%d", f)
		line := g.appendLine(nil, 0)
		for len(line) < pad {
			line = append(line[:len(line)-1], byte('a'+padRand.IntN(26)), '\n')
		}
		off := strconv.FormatInt(offsets[f], 10)
		offsets[f] += int64(len(line))
		r := &kgo.Record{Key: []byte(id), Value: line[:len(line)-1], Timestamp: now, Headers: []kgo.RecordHeader{
			{Key: hdrID, Value: []byte(id + "-" + off)},
			{Key: hdrHost, Value: []byte("bench")},
			{Key: hdrPath, Value: []byte(filepath.Join("/var/log/app", id+".log"))},
			{Key: hdrTS, Value: ts},
		}}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	return firstErr
}
