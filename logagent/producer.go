package logagent

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
)

// inflight rides in sarama.ProducerMessage.Metadata: the ack of one record
// goes back to the file it came from, and its bytes back to the budget.
type inflight struct {
	tr   *ackTracker
	end  int64 // the event's end offset: its key in tr
	size int64
	tm   *taskMetrics
	sent time.Time // when the line was read; the produce latency starts here
	// retries counts re-sends after sarama gave the record back.
	retries int
	// rec is the pooled record holding this metadata, released once acked;
	// nil for metadata made outside build (tests).
	rec *record
}

// release gives the record back to the pool; see record for who owns it when.
func (in *inflight) release() {
	if in.rec != nil {
		in.rec.release()
	}
}

// producer wraps one sarama AsyncProducer shared by all tasks.
//
// Contract: send blocks until the record is handed to sarama, the producer is
// closed, or ctx is done. Every record handed over is eventually acked: on
// success its tracker advances and its bytes return to the budget; sarama
// retries retriable failures itself (conf.Kafka.Sarama never gives up), and a
// record it still returns is re-sent after a backoff — never dropped. close
// stops the producer after in-flight records are acked or the deadline passes.
type producer struct {
	cfg     *sarama.Config
	brokers []string
	budget  *flow.Budget
	metrics *Metrics
	log     *slog.Logger

	ready   chan struct{} // closed once ap is set
	ap      sarama.AsyncProducer
	closing chan struct{}
	wg      sync.WaitGroup
	backoff func(int, int) time.Duration
	// maxValue is the largest record value sarama will accept, leaving room
	// for key and headers within max_message_bytes.
	maxValue int
}

func newProducer(k conf.Kafka, b *flow.Budget, m *Metrics, log *slog.Logger) (*producer, error) {
	cfg, err := k.Sarama()
	if err != nil {
		return nil, err
	}
	return &producer{
		cfg: cfg, brokers: k.Brokers, budget: b, metrics: m, log: log,
		ready: make(chan struct{}), closing: make(chan struct{}),
		backoff:  conf.Backoff(k.RetryBackoff, k.RetryBackoffMax),
		maxValue: k.MaxMessageBytes - recordOverhead,
	}, nil
}

// recordOverhead is room kept for key, headers and batch framing.
const recordOverhead = 4 << 10

// connect creates the sarama producer, retrying until Kafka answers or ctx
// ends. The agent runs (and reads nothing) meanwhile.
func (p *producer) connect(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		ap, err := sarama.NewAsyncProducer(p.brokers, p.cfg)
		if err == nil {
			p.ap = ap
			p.wg.Add(2)
			go p.successes()
			go p.errors()
			close(p.ready)
			p.log.Info("connected to kafka", "brokers", p.brokers)
			return nil
		}
		p.log.Warn("kafka unreachable, retrying", "brokers", p.brokers, "err", err)
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

// send hands msg to sarama. The caller has acquired msg's bytes from the
// budget and registered it with its tracker.
func (p *producer) send(ctx context.Context, msg *sarama.ProducerMessage) error {
	if !p.isReady() {
		select {
		case <-p.ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return p.input(ctx, msg)
}

// input hands msg to sarama.
func (p *producer) input(ctx context.Context, msg *sarama.ProducerMessage) error {
	// Fast path, taken for nearly every line: a select over three channels
	// locks all three, a non-blocking send only sarama's input. closing is
	// checked first so a closed producer never takes another record.
	select {
	case <-p.closing:
		return errProducerClosed
	default:
	}
	select {
	case p.ap.Input() <- msg:
		return nil
	default:
	}
	select {
	case p.ap.Input() <- msg:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closing:
		return errProducerClosed
	}
}

var errProducerClosed = errors.New("producer closed")

func (p *producer) successes() {
	defer p.wg.Done()
	for msg := range p.ap.Successes() {
		in := msg.Metadata.(*inflight)
		in.tr.ack(in.end)
		p.budget.Release(in.size)
		in.tm.acked.Inc()
		in.tm.bytesAcked.Add(float64(msg.Value.Length()))
		p.metrics.ProduceLatency.Observe(time.Since(in.sent).Seconds())
		in.release()
	}
}

// errors hands what sarama gave back to the record's file. sarama retries
// a record whose batch failed on a broker, but returns at once those it could
// not route (no leader while the broker is down), so this path is normal
// during an outage. The file's harvester re-sends them in order; the bytes
// stay taken from the budget until they are acked.
func (p *producer) errors() {
	defer p.wg.Done()
	for perr := range p.ap.Errors() {
		msg := perr.Msg
		in := msg.Metadata.(*inflight)
		reason := "unavailable"
		if errors.Is(perr.Err, sarama.ErrMessageSizeTooLarge) {
			reason = "too_large"
			p.shrink(msg)
		}
		p.metrics.Failed.WithLabelValues(in.tm.task, reason).Inc()
		if in.retries == 0 {
			p.log.Warn("kafka gave a record back, it will be re-sent", "topic", msg.Topic, "task", in.tm.task, "err", perr.Err)
		}
		in.retries++
		in.tr.fail(in.end, msg)
	}
}

// resend hands a record back to sarama; like send, but without touching the
// budget or the tracker, which still count it.
//
// NOTE: the record goes out as a fresh ProducerMessage. The one sarama gave
// back carries sarama's private retry level; sent again, the partition
// producer parks it in a retry buffer waiting for a marker that never comes,
// and the file stalls for good.
func (p *producer) resend(ctx context.Context, old *sarama.ProducerMessage) error {
	msg := &sarama.ProducerMessage{Topic: old.Topic, Key: old.Key, Value: old.Value,
		Headers: old.Headers, Timestamp: old.Timestamp, Metadata: old.Metadata}
	return p.input(ctx, msg)
}

// shrink halves an oversized value and flags it truncated: the line is
// shipped cut rather than blocking its file forever.
func (p *producer) shrink(msg *sarama.ProducerMessage) {
	v, _ := msg.Value.Encode()
	n := min(len(v)/2, p.maxValue)
	msg.Value = sarama.ByteEncoder(capUTF8(v, n))
	for _, h := range msg.Headers {
		if string(h.Key) == hdrTruncated {
			return
		}
	}
	msg.Headers = append(msg.Headers, sarama.RecordHeader{Key: []byte(hdrTruncated), Value: []byte("true")})
}

// close waits until nothing is in flight or ctx is done, then shuts sarama
// down. What is still unacked then stays behind the saved positions and is
// re-read on the next start.
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
		p.ap.AsyncClose()
		p.wg.Wait()
	}
}
