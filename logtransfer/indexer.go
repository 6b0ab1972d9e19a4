package logtransfer

import (
	"context"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/olivere/elastic/v7"
)

// result is what became of one item.
type result int

const (
	created   result = iota // Elasticsearch created the document
	duplicate               // 409: it already existed (a re-delivery)
	rejected                // the document itself is refused (divert verdict)
	stalled                 // its index refuses writes (stall verdict): back to its lane
)

// outcome is what the indexer reports for an item.
type outcome struct {
	result result
	reason string // for rejected and stalled: "<error type>: <reason>"
}

// item is one document on its way to Elasticsearch. settle (sink.go) is
// called from an indexer goroutine when a send of the item ended: exactly
// once with a final result (created, duplicate, rejected), after as many
// stalled results as its lane sent it again; ack once, with the final one.
// An item whose indexer stopped first (shutdown deadline) is never
// settled, so its record is never committed and is consumed again later.
type item struct {
	doc  document
	lane *lane
	size int64                   // bytes it holds in its lane's share
	msg  *sarama.ConsumerMessage // its record, for a dead letter
	ack  func(outcome)           // submit's caller's, once final
	// retrying is owned by the worker holding the item; back by its lane.
	retrying bool
	back     bool
}

// retryLater marks it as retried by the indexer, for reason.
func (it *item) retryLater(reason string) {
	if !it.retrying {
		it.retrying = true
		it.lane.retryBegin(reason)
		return
	}
	it.lane.cond.Trouble(conf.StateWaiting, reason)
}

// finish ends one send of it with o.
func (it *item) finish(o outcome) {
	if it.retrying {
		it.retrying = false
		it.lane.retryEnd()
	}
	it.settle(o)
}

// indexer batches items into bulk requests and sends them with a bounded
// number of workers, retrying only the items that need it: what the
// cluster answers transiently (classify's retry verdict). Items whose index
// refuses writes go back to their route's lane at once (stall verdict), so
// one route's blocked index never holds a worker.
//
// Contract: add blocks until the batcher takes the item or ctx is done. A
// batch is flushed at bulk_actions items, bulk_bytes of documents, or
// flush_interval after its first item. Each of the `workers` goroutines owns
// one batch at a time and keeps it until every item is done, retrying items
// answered 429/5xx or lost to a timeout or connection error with a capped
// exponential backoff; while all workers retry (the cluster is in trouble,
// for every route alike), add blocks and consumption pauses. run returns when ctx is done; items not done by then never are.
type indexer struct {
	es      *elastic.Client
	cfg     conf.Elasticsearch
	metrics *Metrics
	backoff func(int, int) time.Duration
	in      chan *item
	batches chan []*item
}

func newIndexer(es *elastic.Client, cfg conf.Elasticsearch, m *Metrics) *indexer {
	return &indexer{es: es, cfg: cfg, metrics: m, backoff: conf.Backoff(cfg.RetryBackoff, cfg.RetryBackoffMax),
		in: make(chan *item), batches: make(chan []*item)}
}

// add hands it to the batcher.
func (ix *indexer) add(ctx context.Context, it *item) error {
	select {
	case ix.in <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run batches and sends until ctx is done.
func (ix *indexer) run(ctx context.Context) {
	done := make(chan struct{})
	for range ix.cfg.Workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case b := <-ix.batches:
					ix.process(ctx, b)
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	ix.batch(ctx)
	for range ix.cfg.Workers {
		<-done
	}
}

// batch collects items into batches until ctx is done.
func (ix *indexer) batch(ctx context.Context) {
	var cur []*item
	size := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() bool {
		timer.Stop()
		select {
		case ix.batches <- cur:
			cur, size = nil, 0
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-ix.in:
			if len(cur) == 0 {
				timer.Reset(ix.cfg.FlushInterval)
			}
			cur = append(cur, it)
			size += len(it.doc.Body)
			if (len(cur) >= ix.cfg.BulkActions || size >= ix.cfg.BulkBytes) && !flush() {
				return
			}
		case <-timer.C:
			if len(cur) > 0 && !flush() {
				return
			}
		}
	}
}

// process sends b until every item is done or ctx ends.
func (ix *indexer) process(ctx context.Context, b []*item) {
	pending := b
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(ix.backoff(attempt-1, 0))
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		pending = ix.send(ctx, pending)
	}
}
