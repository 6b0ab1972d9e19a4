package logtransfer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/olivere/elastic/v7"
)

// send makes one bulk request of items and returns those to retry. Every
// other item is done: created, duplicate (409) or rejected (400).
//
// Kinds of failure: a request that fails as a whole (connection refused,
// timeout, 429, 5xx, anything unexpected) is retried whole; per item, 429
// and 5xx are retried, 409 is a duplicate, 400 is the document's own fault
// and goes to the dead-letter topic. Any other per-item status (403 for a
// read-only index, 404 for a closed one) is an operator's matter: retried,
// logged as data at risk, never dead-lettered.
func (ix *indexer) send(ctx context.Context, items []*item, attempt int) (retry []*item) {
	svc := ix.es.Bulk()
	bytes := 0
	reqs := make([]createRequest, len(items))
	for i, it := range items {
		reqs[i] = newCreateRequest(it.doc)
		svc.Add(&reqs[i])
		bytes += len(it.doc.Body)
	}
	start := time.Now()
	resp, err := svc.Do(ctx)
	ix.metrics.BulkLatency.Observe(time.Since(start).Seconds())
	ix.metrics.BulkDocs.Observe(float64(len(items)))
	ix.metrics.BulkBytes.Observe(float64(bytes))
	if err != nil {
		ix.metrics.BulkRequests.WithLabelValues("error").Inc()
		reason := requestFailure(err)
		for _, it := range items {
			ix.metrics.Retried.WithLabelValues(it.route, reason).Inc()
		}
		if ctx.Err() == nil {
			ix.log.Warn("bulk request failed, retrying", "items", len(items), "attempt", attempt+1, "reason", reason, "err", err)
		}
		return items
	}
	ix.metrics.BulkRequests.WithLabelValues("ok").Inc()
	now := time.Now()
	for i, it := range items {
		var r *elastic.BulkResponseItem
		if i < len(resp.Items) {
			for _, v := range resp.Items[i] {
				r = v
			}
		}
		switch {
		case r == nil:
			ix.metrics.Retried.WithLabelValues(it.route, "missing_item").Inc()
			retry = append(retry, it)
		case r.Status == http.StatusOK || r.Status == http.StatusCreated:
			ix.metrics.Created.WithLabelValues(it.route).Inc()
			if !it.doc.ReadAt.IsZero() {
				ix.metrics.IndexLatency.Observe(now.Sub(it.doc.ReadAt).Seconds())
			}
			it.done(outcome{result: created})
		case r.Status == http.StatusConflict:
			ix.metrics.Duplicates.WithLabelValues(it.route).Inc()
			it.done(outcome{result: duplicate})
		case r.Status == http.StatusBadRequest:
			it.done(outcome{result: rejected, reason: itemReason(r)})
		default:
			reason := strconv.Itoa(r.Status)
			ix.metrics.Retried.WithLabelValues(it.route, reason).Inc()
			if r.Status != http.StatusTooManyRequests && r.Status < 500 {
				ix.log.Error("elasticsearch refuses item, retrying until an operator fixes it",
					"route", it.route, "index", it.doc.Index, "status", r.Status, "reason", itemReason(r))
			}
			retry = append(retry, it)
		}
	}
	if len(retry) > 0 && attempt%10 == 0 {
		ix.log.Warn("bulk items failed, retrying them", "items", len(retry), "of", len(items), "attempt", attempt+1)
	}
	return retry
}

// requestFailure names why a whole bulk request failed, for metrics.
func requestFailure(err error) string {
	var ee *elastic.Error
	switch {
	case errors.As(err, &ee):
		return strconv.Itoa(ee.Status)
	case errors.Is(err, context.DeadlineExceeded) || elastic.IsTimeout(err):
		return "timeout"
	default:
		return "connection"
	}
}

func itemReason(r *elastic.BulkResponseItem) string {
	if r.Error == nil {
		return fmt.Sprintf("status %d", r.Status)
	}
	return r.Error.Type + ": " + r.Error.Reason
}
