package logagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
)

// producer ships records to Kafka in per-partition batches, on sarama's
// client (metadata, leaders, connections, TLS and SASL) and its Produce
// request, without sarama's AsyncProducer: that pipeline passed every record
// through five goroutines and channels and acked it alone, which cost ~40 %
// of the agent's CPU.
//
//	harvester ──send──▶ partition queue ──▶ broker loop ──Produce──▶ Kafka
//	    ▲                (per partition)    (per broker: one request     │
//	    └──── ackRun per file run, one budget release per batch ◀────────┘
//
// Contract: send blocks until the record is queued for its partition, the
// producer is closed, or ctx is done. Every record queued is eventually
// acked: a partition has one batch in flight at a time, and a batch that
// fails is retried — forever, with backoff — before anything after it, so a
// file's lines reach Kafka once each and in order, even across an outage;
// nothing is given back to the harvester. On the ack of a batch each file's
// tracker advances over its run of records and their bytes return to the
// budget. close stops the producer after in-flight records are acked or the
// deadline passes.
type producer struct {
	cfg     *sarama.Config
	brokers []string
	budget  *flow.Budget
	metrics *Metrics
	log     *slog.Logger
	// kafka is the condition of what all tasks share (the connection,
	// the metadata): its trouble is logged once per interval, not per
	// retry.
	kafka   *conf.Condition
	backoff func(int, int) time.Duration
	// maxValue is the largest record value Kafka will accept, leaving room
	// for key and headers within max_message_bytes.
	maxValue int
	// batchBytes is when a partition's batch is full; linger how long its
	// oldest record may wait for more.
	batchBytes int
	linger     time.Duration
	// queueBytes is how much a partition's queue holds before senders wait:
	// one batch, so the next is ready when the broker answers. A second
	// queued batch only held ~1 MB more records (make bench, one core:
	// peak RSS at 7,000 lines/s 25.7-26.4 → 25.0 MB, at 35,000 28.0 →
	// 27.1; CPU and full speed the same within the noise).
	queueBytes int
	// requestBytes is how much a produce request holds before it takes no
	// more batches (produce_broker.go): with batch_bytes, a request stays
	// below two batches' bytes however many partitions are due.
	requestBytes int
	version      int16 // of the produce request

	ready   chan struct{} // closed once client is set
	client  sarama.Client
	closing chan struct{}
	// stopped is closed when the broker loops and the refresher must end.
	stopped chan struct{}
	refresh chan struct{} // a metadata refresh is wanted
	wg      sync.WaitGroup

	// slowBackoff paces retries of errors only an operator fixes.
	slowBackoff func(int, int) time.Duration

	mu     sync.Mutex
	topics map[string]*topicState
	// pending are topics whose partitions are not known yet, each with
	// its resolver (produce_topic.go).
	pending map[string]*topicState
	// tlist is topics as a list, for the broker loops to scan unlocked.
	tlist atomic.Pointer[[]*topicState]
	loops map[int32]*brokerLoop
	idem  *idempotence // nil unless idempotent
}

func newProducer(k conf.Kafka, b *flow.Budget, m *Metrics, log *slog.Logger) (*producer, error) {
	cfg, err := k.Sarama()
	if err != nil {
		return nil, err
	}
	batch := k.MaxMessageBytes - recordOverhead
	if k.BatchBytes > 0 {
		batch = min(k.BatchBytes, batch)
	}
	return &producer{
		cfg: cfg, brokers: k.Brokers, budget: b, metrics: m, log: log, kafka: conf.NewCondition(log),
		backoff:     conf.Backoff(k.RetryBackoff, k.RetryBackoffMax),
		slowBackoff: conf.Backoff(k.RetryBackoffMax, slowRetry(k)),
		maxValue:    k.MaxMessageBytes - recordOverhead,
		batchBytes:  batch, linger: k.Linger, queueBytes: max(batch, minQueueBytes), requestBytes: batch,
		version: produceVersion(cfg.Version),
		ready:   make(chan struct{}), closing: make(chan struct{}), stopped: make(chan struct{}),
		refresh: make(chan struct{}, 1),
		topics:  map[string]*topicState{}, pending: map[string]*topicState{}, loops: map[int32]*brokerLoop{},
	}, nil
}

// minQueueBytes is the least a partition queue holds before senders wait.
const minQueueBytes = 256 << 10

// recordOverhead is room kept for key, headers and batch framing.
const recordOverhead = 4 << 10

// produceVersions maps Kafka versions to the produce request version
// sarama's own producer uses, newest first (at least 0.11: record batches v2
// and headers, which Kafka.Validate requires).
var produceVersions = []struct {
	kafka sarama.KafkaVersion
	req   int16
}{
	{sarama.V3_7_0_0, 10}, {sarama.V2_8_0_0, 9}, {sarama.V2_4_0_0, 8}, {sarama.V2_1_0_0, 7},
	{sarama.V2_0_0_0, 6}, {sarama.V1_0_0_0, 5},
}

func produceVersion(v sarama.KafkaVersion) int16 {
	for _, pv := range produceVersions {
		if v.IsAtLeast(pv.kafka) {
			return pv.req
		}
	}
	return 3
}

// connect creates the sarama client, retrying until Kafka answers or ctx
// ends. The agent runs (and reads nothing) meanwhile.
func (p *producer) connect(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		client, err := sarama.NewClient(p.brokers, p.cfg)
		if err == nil && p.cfg.Producer.Idempotent {
			var idem *idempotence
			if idem, err = newIdempotence(client); err == nil {
				p.idem = idem
			} else {
				_ = client.Close()
			}
		}
		if err == nil {
			p.client = client
			p.wg.Add(1)
			go p.refresher()
			close(p.ready)
			p.kafka.OK()
			p.log.Info("connected to kafka", "brokers", p.brokers)
			return nil
		}
		p.kafka.Trouble(conf.StateWaiting, fmt.Sprintf("kafka unreachable at %v: %v", p.brokers, err))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.backoff(attempt, 0)):
		}
	}
}

// isReady reports whether the producer is connected.
func (p *producer) isReady() bool {
	select {
	case <-p.ready:
		return true
	default:
		return false
	}
}

var errProducerClosed = errors.New("producer closed")

// send queues r for its partition (of rb's topic, by rb's key). The caller
// has acquired r's bytes from the budget and registered it with its tracker.
func (p *producer) send(ctx context.Context, rb *recordBuilder, r *record) error {
	if err := p.prepare(ctx, rb); err != nil {
		return err
	}
	return rb.ts.partition(rb).enqueue(ctx, p, r)
}

// trySend is send without waiting for room in the partition's queue: it
// returns a nil channel once r is queued, or, while the queue is full, a
// channel closed when there may be room, and r is not queued. It still
// waits for the producer and rb's topic before rb's first record; a
// harvester waits for both before it takes a read slot (harvestwait.go),
// so those waits are over by then.
func (p *producer) trySend(ctx context.Context, rb *recordBuilder, r *record) (<-chan struct{}, error) {
	if err := p.prepare(ctx, rb); err != nil {
		return nil, err
	}
	return rb.ts.partition(rb).tryEnqueue(p, r), nil
}

// prepare waits until the producer runs and, once per record builder, until
// rb's topic can take records; it fails once the producer closes.
func (p *producer) prepare(ctx context.Context, rb *recordBuilder) error {
	if !p.isReady() {
		select {
		case <-p.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case <-p.closing:
		return errProducerClosed
	default:
	}
	if rb.ts != nil {
		return nil
	}
	ts := p.topicState(rb.topic)
	if err := ts.await(ctx, p); err != nil {
		return err
	}
	rb.ts = ts
	return nil
}

// flush says rb's file has no more lines for now (its harvester reached the
// end of what the file holds): the records it queued go out without waiting
// for their linger. A followed file is read once per read_interval, so the
// linger would only add a second wake-up and its delay to every read.
func (p *producer) flush(rb *recordBuilder) {
	if rb.ts == nil {
		return
	}
	q := rb.ts.partition(rb)
	if q.markFlush() {
		if l := q.leader.Load(); l != nil {
			l.poke()
		}
	}
}

// close waits until nothing is in flight or ctx is done, then stops the
// broker loops and the client. What is still unacked then stays behind the
// saved positions and is re-read on the next start.
func (p *producer) close(ctx context.Context) {
	for p.isReady() && p.budget.InUse() > 0 {
		ch := p.budget.Freed()
		select {
		case <-ch:
			continue
		case <-ctx.Done():
		}
		p.log.Warn("shutdown deadline passed with records in flight; they will be re-read at next start", "bytes", p.budget.InUse())
		break
	}
	close(p.closing)
	if p.isReady() {
		p.mu.Lock()
		close(p.stopped) // under mu: loop starts no broker loop after this
		p.mu.Unlock()
		// Closing the connections first ends a Produce blocked on a dead
		// broker. They are closed here, not by the client's Close, which
		// closes them in goroutines of its own that outlive Run and log
		// through sarama's process-global logger afterwards.
		for _, b := range p.client.Brokers() {
			_ = b.Close()
		}
		_ = p.client.Close()
		p.wg.Wait()
	}
}

// wantRefresh asks the refresher for fresh metadata (leaders moved, a
// partition has none, the topic grew). It never blocks.
func (p *producer) wantRefresh() {
	select {
	case p.refresh <- struct{}{}:
	default:
	}
}

// refresher refreshes metadata when asked, and again after a backoff while
// some partition has no reachable leader, then hands each partition to its
// leader's broker loop.
func (p *producer) refresher() {
	defer p.wg.Done()
	for failures := 0; ; {
		select {
		case <-p.refresh:
		case <-p.stopped:
			return
		}
		if p.refreshOnce() {
			failures = 0
			continue
		}
		failures++
		select {
		case <-time.After(p.backoff(min(failures, 8), 0)):
			p.wantRefresh()
		case <-p.stopped:
			return
		}
	}
}

// refreshOnce refreshes the known topics' metadata and reassigns their
// partitions; false when some partition is still without a leader.
func (p *producer) refreshOnce() bool {
	p.mu.Lock()
	topics := make([]*topicState, 0, len(p.topics))
	for _, ts := range p.topics {
		topics = append(topics, ts)
	}
	p.mu.Unlock()
	names := make([]string, len(topics))
	for i, ts := range topics {
		names[i] = ts.name
	}
	if err := p.client.RefreshMetadata(names...); err != nil {
		p.kafka.Trouble(conf.StateWaiting, "refreshing kafka metadata: "+err.Error())
	} else {
		p.kafka.OK()
	}
	ok := true
	for _, ts := range topics {
		ok = p.assign(ts) && ok
	}
	return ok
}

// assign hands every partition of ts to the broker loop of its leader (from
// the client's cached metadata), growing ts when the topic has more
// partitions; false when some partition has no leader.
func (p *producer) assign(ts *topicState) bool {
	ids, err := p.client.Partitions(ts.name)
	if err != nil || len(ids) == 0 {
		return false
	}
	parts := ts.grow(len(ids))
	ok := true
	for _, q := range parts {
		b, err := p.client.Leader(ts.name, q.id)
		if err != nil {
			q.leader.Store(nil)
			ok = false
			continue
		}
		l := p.loop(b.ID())
		if q.leader.Swap(l) != l || q.hasWork() {
			l.poke()
		}
	}
	return ok
}

// topicList lists the topics records were sent to.
func (p *producer) topicList() []*topicState {
	if l := p.tlist.Load(); l != nil {
		return *l
	}
	return nil
}

// loop returns the broker loop of broker id, starting it on first use.
func (p *producer) loop(id int32) *brokerLoop {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.loops[id]
	if l == nil {
		l = newBrokerLoop(p, id)
		p.loops[id] = l
		select {
		case <-p.stopped:
			return l // closed: a loop that never runs
		default:
		}
		p.wg.Add(1)
		go l.run()
	}
	return l
}
