package logtransfer

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/olivere/elastic/v7"
)

// send makes one bulk request of items and returns those to retry. Every
// other item's send is over: created, duplicate, rejected or stalled, as
// classify sorts its answer. A request that fails as a whole (connection
// refused, timeout, 429, 5xx, anything unexpected) is retried whole.
// Trouble is reported to each item's route (its Condition rate-limits the
// log lines), never logged per item here.
func (ix *indexer) send(ctx context.Context, items []*item) (again []*item) {
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
		if ctx.Err() != nil {
			return items
		}
		reason := requestFailure(err)
		for _, it := range items {
			ix.metrics.Retried.WithLabelValues(it.lane.name, reason).Inc()
			it.retryLater("elasticsearch bulk request: " + err.Error())
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
		if r == nil {
			ix.metrics.Retried.WithLabelValues(it.lane.name, "missing_item").Inc()
			it.retryLater("elasticsearch: bulk answer without this item")
			again = append(again, it)
			continue
		}
		route := it.lane.name
		switch classify(r.Status, r.Error) {
		case indexed:
			ix.metrics.Created.WithLabelValues(route).Inc()
			if !it.doc.ReadAt.IsZero() {
				ix.metrics.IndexLatency.Observe(now.Sub(it.doc.ReadAt).Seconds())
			}
			it.finish(outcome{result: created})
		case exists:
			ix.metrics.Duplicates.WithLabelValues(route).Inc()
			it.finish(outcome{result: duplicate})
		case divert:
			it.finish(outcome{result: rejected, reason: itemReason(r.Status, r.Error)})
		case stall:
			it.finish(outcome{result: stalled, reason: itemReason(r.Status, r.Error)})
		default:
			ix.metrics.Retried.WithLabelValues(route, strconv.Itoa(r.Status)).Inc()
			it.retryLater(itemReason(r.Status, r.Error))
			again = append(again, it)
		}
	}
	return again
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
