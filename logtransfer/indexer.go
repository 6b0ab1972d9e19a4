package logtransfer

import (
	"context"
	"log/slog"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/olivere/elastic/v7"
)

// result is the final fate of one item.
type result int

const (
	created   result = iota // Elasticsearch created the document
	duplicate               // 409: it already existed (a re-delivery)
	rejected                // 400: the document itself is refused (mapping, parsing)
)

// outcome is what the indexer reports once per item.
type outcome struct {
	result result
	reason string // for rejected: "<error type>: <reason>"
}

// item is one document on its way to Elasticsearch. done is called exactly
// once, from an indexer goroutine, when the item reached a final outcome; an
// item whose indexer stopped first (shutdown deadline) is never done, so its
// record is never committed and is consumed again later.
type item struct {
	doc   document
	route string
	done  func(outcome)
}

// indexer batches items into bulk requests and sends them with a bounded
// number of workers, retrying only the items that need it.
//
// Contract: add blocks until the batcher takes the item or ctx is done. A
// batch is flushed at bulk_actions items, bulk_bytes of documents, or
// flush_interval after its first item. Each of the `workers` goroutines owns
// one batch at a time and keeps it until every item is done, retrying items
// answered 429/5xx or lost to a timeout or connection error with a capped
// exponential backoff; while all workers retry, add blocks and consumption
// pauses. run returns when ctx is done; items not done by then never are.
type indexer struct {
	es      *elastic.Client
	cfg     conf.Elasticsearch
	metrics *Metrics
	log     *slog.Logger
	backoff func(int, int) time.Duration
	in      chan *item
	batches chan []*item
}

func newIndexer(es *elastic.Client, cfg conf.Elasticsearch, m *Metrics, log *slog.Logger) *indexer {
	return &indexer{es: es, cfg: cfg, metrics: m, log: log, backoff: conf.Backoff(cfg.RetryBackoff, cfg.RetryBackoffMax),
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
		pending = ix.send(ctx, pending, attempt)
	}
}
