package logagent

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/IBM/sarama"
)

// idempotence is the idempotent producer's identity (idempotent = true): a
// producer id and epoch from Kafka, with a sequence number per partition, so
// a batch re-sent after a lost response is written once. A partition has one
// batch in flight and retries it unchanged, so its sequence numbers never
// have gaps; when the broker no longer knows the producer (its state expired
// or was lost), a new id is taken and every partition restarts at 0 (gen).
type idempotence struct {
	client sarama.Client
	mu     sync.Mutex
	pid    int64
	epoch  int16
	gen    int
}

func newIdempotence(client sarama.Client) (*idempotence, error) {
	i := &idempotence{client: client}
	return i, i.init()
}

func (i *idempotence) init() error {
	resp, err := i.client.InitProducerID()
	if err == nil && resp.Err != sarama.ErrNoError {
		err = resp.Err
	}
	if err != nil {
		return fmt.Errorf("initializing idempotent producer id: %w", err)
	}
	i.pid, i.epoch = resp.ProducerID, resp.ProducerEpoch
	return nil
}

// stamp sets b's producer id, epoch and first sequence number; the caller
// holds q.mu.
func (i *idempotence) stamp(q *partQueue, b *batch) {
	i.mu.Lock()
	pid, epoch, gen := i.pid, i.epoch, i.gen
	i.mu.Unlock()
	if q.gen != gen {
		q.gen, q.seq = gen, 0
	}
	b.gen = gen
	b.rb.ProducerID, b.rb.ProducerEpoch, b.rb.FirstSequence = pid, epoch, q.seq
}

// reset takes a new producer id after a sequence error of a batch stamped
// in generation gen, unless another partition did already.
func (i *idempotence) reset(log *slog.Logger, gen int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if gen != i.gen {
		return
	}
	if err := i.init(); err != nil {
		log.Warn("kafka refused a new producer id, will retry", "err", err)
		return
	}
	i.gen++
	log.Info("idempotent producer restarted with a new producer id", "producer_id", i.pid)
}
