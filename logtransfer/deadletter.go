package logtransfer

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// Headers a dead letter carries next to the original record's.
const (
	hdrDLQReason = "lp.dlq.reason" // Elasticsearch's "<error type>: <reason>"
	hdrDLQIndex  = "lp.dlq.index"  // the index it was meant for
	hdrDLQSource = "lp.dlq.source" // topic/partition/offset of the original
)

// DLQSuffix makes a route topic's dead-letter topic.
const DLQSuffix = ".dlq"

// deadLetters produces records Elasticsearch refused to <topic>.dlq.
//
// Contract: send blocks until Kafka acknowledged the dead letter (then the
// original may be committed) or ctx is done (then it must not be). Kafka
// errors are retried with backoff; a dead letter is never dropped. The
// producer is created on first use, so a daemon that never dead-letters
// never opens it.
type deadLetters struct {
	brokers []string
	cfg     *sarama.Config
	backoff func(int, int) time.Duration
	log     *slog.Logger

	mu   sync.Mutex
	prod sarama.SyncProducer
}

func newDeadLetters(k conf.Kafka, log *slog.Logger) (*deadLetters, error) {
	cfg, err := k.Sarama()
	if err != nil {
		return nil, err
	}
	return &deadLetters{brokers: k.Brokers, cfg: cfg, backoff: conf.Backoff(k.RetryBackoff, k.RetryBackoffMax), log: log}, nil
}

func (d *deadLetters) producer() (sarama.SyncProducer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.prod != nil {
		return d.prod, nil
	}
	p, err := sarama.NewSyncProducer(d.brokers, d.cfg)
	if err != nil {
		return nil, fmt.Errorf("dead-letter producer: %w", err)
	}
	d.prod = p
	return p, nil
}

// send produces the dead letter of m; retrying hears each failed attempt
// (the caller's route reports it, rate-limited, instead of a line per
// record and attempt).
func (d *deadLetters) send(ctx context.Context, m *sarama.ConsumerMessage, index, reason string, retrying func(error)) error {
	msg := &sarama.ProducerMessage{Topic: m.Topic + DLQSuffix, Value: sarama.ByteEncoder(m.Value), Timestamp: m.Timestamp}
	if m.Key != nil {
		msg.Key = sarama.ByteEncoder(m.Key)
	}
	for _, h := range m.Headers {
		if h != nil {
			msg.Headers = append(msg.Headers, *h)
		}
	}
	src := m.Topic + "/" + strconv.FormatInt(int64(m.Partition), 10) + "/" + strconv.FormatInt(m.Offset, 10)
	msg.Headers = append(msg.Headers,
		sarama.RecordHeader{Key: []byte(hdrDLQReason), Value: []byte(reason)},
		sarama.RecordHeader{Key: []byte(hdrDLQIndex), Value: []byte(index)},
		sarama.RecordHeader{Key: []byte(hdrDLQSource), Value: []byte(src)},
	)
	for attempt := 0; ; attempt++ {
		p, err := d.producer()
		if err == nil {
			if _, _, err = p.SendMessage(msg); err == nil {
				return nil
			}
		}
		retrying(fmt.Errorf("producing to %s: %w", msg.Topic, err))
		t := time.NewTimer(d.backoff(attempt, 0))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// close closes the producer if it was opened.
func (d *deadLetters) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.prod != nil {
		if err := d.prod.Close(); err != nil {
			d.log.Warn("closing dead-letter producer", "err", err)
		}
		d.prod = nil
	}
}
