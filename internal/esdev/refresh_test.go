package esdev_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
)

// TestSearchSeesOnlyRefreshedWrites: "A refresh makes all operations
// performed on an index since the last refresh available for search", by
// POST /{index}/_refresh or /_refresh; index.refresh_interval "-1"
// disables periodic refreshes; GET _doc is real-time.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/near-real-time.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-refresh.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules.html#index-refresh-interval-setting
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-get.html#realtime
func TestSearchSeesOnlyRefreshedWrites(t *testing.T) {
	s := startServer(t)
	createIndex(t, s.URL(), "logs", `{"index":{"refresh_interval":"-1"}}`)
	if r := bulk(t, s.URL(), `{"create":{"_index":"logs","_id":"a"}}`, `{"message":"one"}`); r.body["errors"] != false {
		t.Fatalf("bulk: %s", r.text)
	}
	if n := count(t, s.URL(), "logs"); n != 0 {
		t.Fatalf("_count before a refresh = %d, want 0 (%s)", n, ref+"near-real-time.html")
	}
	if r := do(t, http.MethodGet, s.URL()+"/logs/_search?q=message:one", ""); len(r.body["hits"].(map[string]any)["hits"].([]any)) != 0 {
		t.Fatalf("_search before a refresh found the document: %s", r.text)
	}
	if r := do(t, http.MethodGet, s.URL()+"/logs/_doc/a", ""); r.status != http.StatusOK || r.body["found"] != true {
		t.Fatalf("GET _doc is real-time, got %d %s", r.status, r.text)
	}
	if s.Count("logs") != 1 {
		t.Fatalf("Count (real-time) = %d, want 1", s.Count("logs"))
	}
	if r := do(t, http.MethodPost, s.URL()+"/logs/_refresh", ""); r.status != http.StatusOK {
		t.Fatalf("_refresh: %d %s", r.status, r.text)
	}
	if n := count(t, s.URL(), "logs"); n != 1 {
		t.Fatalf("_count after POST /logs/_refresh = %d, want 1", n)
	}
	bulk(t, s.URL(), `{"create":{"_index":"logs","_id":"b"}}`, `{"message":"two"}`)
	do(t, http.MethodPost, s.URL()+"/_refresh", "")
	if n := count(t, s.URL(), "logs"); n != 2 {
		t.Fatalf("_count after POST /_refresh = %d, want 2", n)
	}
}

// TestPeriodicRefresh: Elasticsearch "refreshes shards that have changed
// every index.refresh_interval", by default 1s.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules.html#index-refresh-interval-setting
func TestPeriodicRefresh(t *testing.T) {
	for _, tt := range []struct{ name, settings string }{
		{"default 1s", `{}`},
		{"explicit 300ms", `{"index.refresh_interval":"300ms"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t)
			createIndex(t, s.URL(), "logs", tt.settings)
			bulk(t, s.URL(), `{"create":{"_index":"logs","_id":"a"}}`, `{"message":"one"}`)
			devstack.WaitFor(t, 3*time.Second, "the periodic refresh", func() bool { return count(t, s.URL(), "logs") == 1 })
		})
	}
}

// TestRefreshParameter: ?refresh=true refreshes before answering (and says
// forced_refresh), ?refresh=wait_for answers only once a refresh made the
// write visible, and other values are refused.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-refresh.html
func TestRefreshParameter(t *testing.T) {
	s := startServer(t)
	createIndex(t, s.URL(), "logs", `{"index":{"refresh_interval":"-1"}}`)
	r := do(t, http.MethodPost, s.URL()+"/_bulk?refresh=true", "{\"create\":{\"_index\":\"logs\",\"_id\":\"a\"}}\n{}\n")
	if n := count(t, s.URL(), "logs"); n != 1 || !json.Valid([]byte(r.text)) || r.body["items"].([]any)[0].(map[string]any)["create"].(map[string]any)["forced_refresh"] != true {
		t.Fatalf("refresh=true: count %d, answer %s", n, r.text)
	}
	if r := do(t, http.MethodPut, s.URL()+"/logs/_doc/b?refresh", `{}`); r.status != http.StatusCreated || count(t, s.URL(), "logs") != 2 {
		t.Fatalf("PUT _doc?refresh: %d %s", r.status, r.text)
	}

	var wg sync.WaitGroup
	done := make(chan rawResponse, 1)
	wg.Go(func() { done <- do(t, http.MethodPut, s.URL()+"/logs/_doc/c?refresh=wait_for", `{}`) })
	devstack.WaitFor(t, 5*time.Second, "the write to land", func() bool { _, ok := s.Doc("logs", "c"); return ok })
	select {
	case r := <-done:
		t.Fatalf("refresh=wait_for answered before any refresh: %s", r.text)
	default:
	}
	do(t, http.MethodPost, s.URL()+"/logs/_refresh", "")
	wg.Wait()
	if r := <-done; r.status != http.StatusCreated {
		t.Fatalf("refresh=wait_for: %d %s", r.status, r.text)
	}

	if r := do(t, http.MethodPost, s.URL()+"/_bulk?refresh=soon", "{\"create\":{\"_index\":\"logs\"}}\n{}\n"); r.status != http.StatusBadRequest {
		t.Fatalf("refresh=soon: %d, want 400", r.status)
	}
}

// TestOnRefreshReportsNewlySearchable: the demo's "write to searchable"
// clock sees each document once, when a refresh makes it searchable.
func TestOnRefreshReportsNewlySearchable(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	s := startServer(t, esdev.WithOnRefresh(func(index string, _ time.Time, srcs []json.RawMessage) {
		mu.Lock()
		defer mu.Unlock()
		seen[index] += len(srcs)
	}))
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{}`, `{"create":{"_index":"a","_id":"2"}}`, `{}`)
	do(t, http.MethodPost, s.URL()+"/_refresh", "")
	do(t, http.MethodPost, s.URL()+"/_refresh", "")
	mu.Lock()
	defer mu.Unlock()
	if seen["a"] != 2 {
		t.Fatalf("OnRefresh saw %v, want 2 documents of a", seen)
	}
}
