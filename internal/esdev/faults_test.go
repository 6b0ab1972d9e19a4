package esdev_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/olivere/elastic/v7"
)

func TestFailNextBulks(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status)+"/caller retries", func(t *testing.T) {
			s := startServer(t)
			c := newClient(t, s.URL())
			s.FailNextBulks(2, status)
			for attempt := 1; attempt <= 2; attempt++ {
				_, err := c.Bulk().Add(elastic.NewBulkCreateRequest().Index("logs").Id("1").Doc(map[string]any{"a": 1})).Do(t.Context())
				var e *elastic.Error
				if !errors.As(err, &e) || e.Status != status || e.Details == nil || e.Details.Type == "" {
					t.Fatalf("attempt %d: err = %v, want status %d with an error type", attempt, err, status)
				}
			}
			res := bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"a": 1}})
			if res.Errors {
				t.Fatalf("third attempt failed: %+v", res.Failed())
			}
			if st := s.Stats(); st.FailedBulks != 2 || st.BulkRequests != 3 || st.Created != 1 {
				t.Errorf("Stats = %+v, want FailedBulks 2, BulkRequests 3, Created 1", st)
			}
		})
		t.Run(http.StatusText(status)+"/olivere retrier", func(t *testing.T) {
			s := startServer(t)
			c := newClient(t, s.URL(),
				elastic.SetRetrier(elastic.NewBackoffRetrier(elastic.NewConstantBackoff(time.Millisecond))),
				elastic.SetRetryStatusCodes(status))
			s.FailNextBulks(2, status)
			res := bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"a": 1}})
			if res.Errors || s.Count("logs") != 1 {
				t.Fatalf("retried bulk: errors %v, count %d", res.Errors, s.Count("logs"))
			}
			if st := s.Stats(); st.BulkRequests != 3 {
				t.Errorf("BulkRequests = %d, want 3 (two failures, one success)", st.BulkRequests)
			}
		})
	}
}

func TestRejectDocs(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	s.RejectDocs(func(index string, doc map[string]any) (string, bool) {
		return "rejected by test on " + index, doc["level"] == "poison"
	})
	res := bulkCreate(t, c, "logs", map[string]any{
		"1": map[string]any{"level": "info"},
		"2": map[string]any{"level": "poison"},
		"3": map[string]any{"level": "warn"},
	})
	for _, it := range res.Created() {
		wantStatus := 201
		if it.Id == "2" {
			wantStatus = 400
			if it.Error == nil || it.Error.Type != "mapper_parsing_exception" || it.Error.Reason != "rejected by test on logs" {
				t.Errorf("rejected item error = %+v", it.Error)
			}
		}
		if it.Status != wantStatus {
			t.Errorf("item %s: status %d, want %d", it.Id, it.Status, wantStatus)
		}
	}
	s.RejectDocs(nil)
	if res := bulkCreate(t, c, "logs", map[string]any{"2": map[string]any{"level": "poison"}}); res.Errors {
		t.Errorf("after RejectDocs(nil) the document is still rejected: %+v", res.Failed())
	}
	if st := s.Stats(); st.Rejected != 1 || st.Created != 3 {
		t.Errorf("Stats = %+v, want Rejected 1, Created 3", st)
	}
}

func TestFailItemsOnce(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	var mu sync.Mutex
	failed := map[string]bool{}
	s.FailItems(func(_ string, doc map[string]any) (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		key, _ := doc["k"].(string)
		if key == "ok" || failed[key] {
			return 0, false
		}
		failed[key] = true
		return http.StatusTooManyRequests, true
	})
	docs := map[string]any{"1": map[string]any{"k": "ok"}, "2": map[string]any{"k": "flaky"}}
	res := bulkCreate(t, c, "logs", docs)
	for _, it := range res.Created() {
		if it.Id == "2" && (it.Status != 429 || it.Error.Type != "es_rejected_execution_exception") {
			t.Errorf("flaky item first try = %d %+v, want 429 es_rejected_execution_exception", it.Status, it.Error)
		}
		if it.Id == "1" && it.Status != 201 {
			t.Errorf("ok item = %d, want 201", it.Status)
		}
	}
	if s.Count("logs") != 1 {
		t.Fatalf("Count = %d after one failed item, want 1", s.Count("logs"))
	}
	retry := bulkCreate(t, c, "logs", map[string]any{"2": docs["2"]})
	if retry.Errors {
		t.Errorf("retry failed: %+v", retry.Failed())
	}
	if st := s.Stats(); st.FailedItems != 1 || s.Count("logs") != 2 {
		t.Errorf("FailedItems = %d, Count = %d; want 1 and 2", st.FailedItems, s.Count("logs"))
	}
}

func TestSetDelay(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	s.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Count("x").Do(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("delayed request: err = %v, want deadline exceeded", err)
	}
	s.SetDelay(0)
	if _, err := c.ClusterHealth().Do(t.Context()); err != nil {
		t.Fatalf("after SetDelay(0): %v", err)
	}
}
