package logagent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// topicState is what the producer knows of one topic: a queue per partition,
// once its partitions are known. Partitions only ever grow (Kafka cannot
// shrink a topic).
//
// Until the partitions are known one resolver goroutine per topic asks
// Kafka for them, with backoff (slowly for errors only an operator fixes),
// and keeps its last error: tasks watch it (trouble) and harvesters wait on
// ready without holding a read slot (harvester.go), so a missing topic costs
// the agent one metadata request per backoff, not one per file, and stalls
// no other topic. A topic is never produced to before ready: no path cuts a
// batch for an empty partition list.
type topicState struct {
	name  string
	mu    sync.Mutex // serializes grow
	parts atomic.Pointer[[]*partQueue]
	ready chan struct{} // closed once parts is not empty

	smu     sync.Mutex
	trouble *kafkaTrouble // of the last failed attempt; nil once ready
	attempt chan struct{} // closed after the next resolution attempt
}

func newTopicState(name string) *topicState {
	ts := &topicState{name: name, ready: make(chan struct{}), attempt: make(chan struct{})}
	ts.parts.Store(&[]*partQueue{})
	return ts
}

// status returns the last resolution trouble (nil: none yet, or ready) and a
// channel closed after the next attempt.
func (ts *topicState) status() (*kafkaTrouble, <-chan struct{}) {
	ts.smu.Lock()
	defer ts.smu.Unlock()
	return ts.trouble, ts.attempt
}

func (ts *topicState) setTrouble(kt *kafkaTrouble) {
	ts.smu.Lock()
	ts.trouble = kt
	close(ts.attempt)
	ts.attempt = make(chan struct{})
	ts.smu.Unlock()
}

// await blocks until the topic's partitions are known, ctx ends or the
// producer closes.
func (ts *topicState) await(ctx context.Context, p *producer) error {
	select {
	case <-ts.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.closing:
		return errProducerClosed
	}
}

var errNoPartitions = errors.New("kafka lists no partitions for the topic")

// topicState returns the state of topic name, starting its resolver on
// first use. It never blocks on I/O.
func (p *producer) topicState(name string) *topicState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ts := p.topics[name]; ts != nil {
		return ts
	}
	if ts := p.pending[name]; ts != nil {
		return ts
	}
	ts := newTopicState(name)
	select {
	case <-p.closing:
		return ts // closed: never resolved, await ends on closing
	default:
	}
	p.pending[name] = ts
	p.wg.Add(1)
	go p.resolve(ts)
	return ts
}

// resolve asks Kafka for the partitions of ts (creating the topic when the
// cluster allows it) until it has them or the producer closes, then makes
// ts ready and hands its partitions to their leaders.
func (p *producer) resolve(ts *topicState) {
	defer p.wg.Done()
	select {
	case <-p.ready:
	case <-p.closing:
		return
	}
	start := time.Now()
	var ids []int32
	for attempt := 0; ; attempt++ {
		var err error
		if ids, err = p.client.Partitions(ts.name); err == nil && len(ids) > 0 {
			break
		}
		if err == nil {
			err = errNoPartitions
		}
		kt := classifyKafka(ts.name, err, time.Since(start))
		ts.setTrouble(&kt)
		select {
		case <-p.closing:
			return
		case <-time.After(p.retryAfter(kt, attempt)):
		}
	}
	ts.grow(len(ids))
	p.mu.Lock()
	delete(p.pending, ts.name)
	p.topics[ts.name] = ts
	list := make([]*topicState, 0, len(p.topics))
	for _, t := range p.topics {
		list = append(list, t)
	}
	p.tlist.Store(&list)
	p.mu.Unlock()
	if !p.assign(ts) {
		p.wantRefresh()
	}
	ts.setTrouble(nil)
	close(ts.ready)
}
