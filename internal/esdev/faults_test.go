package esdev_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/olivere/elastic/v7"
)

// TestRejectedExecution: an overloaded cluster answers 429
// es_rejected_execution_exception for a whole request (indexing pressure)
// or for single items when a shard's write queue is full; the rest of a
// bulk goes on. FailNextBulks and FailItems script it.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules-indexing-pressure.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/modules-threadpool.html
func TestRejectedExecution(t *testing.T) {
	s := startServer(t)
	s.FailNextBulks(1, http.StatusTooManyRequests)
	r := bulk(t, s.URL(), `{"create":{"_index":"hot","_id":"1"}}`, `{}`)
	if r.status != 429 || r.errorType() != "es_rejected_execution_exception" || s.Count("*") != 0 {
		t.Fatalf("request-level 429: %d %s, %d stored", r.status, r.text, s.Count("*"))
	}
	var asked atomic.Int64
	s.FailItems(func(index string, _ map[string]any) (int, bool) {
		return http.StatusTooManyRequests, index == "hot" && asked.Add(1) == 1 // once
	})
	r = bulk(t, s.URL(), `{"create":{"_index":"hot","_id":"1"}}`, `{}`, `{"create":{"_index":"cold","_id":"1"}}`, `{}`)
	wantItems(t, r, "429 es_rejected_execution_exception", "201")                        // hot, cold
	wantItems(t, bulk(t, s.URL(), `{"create":{"_index":"hot","_id":"1"}}`, `{}`), "201") // hot retried
	if st := s.Stats(); st.FailedBulks != 1 || st.Created != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestTotalFieldsLimit: "index.mapping.total_fields.limit: the maximum
// number of fields in an index ... the default value is 1000"; a document
// that would add fields past it fails with 400 illegal_argument_exception
// and adds nothing.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/mapping-settings-limit.html
func TestTotalFieldsLimit(t *testing.T) {
	s := startServer(t)
	createIndex(t, s.URL(), "narrow", `{"index.mapping.total_fields.limit":3}`)
	r := bulk(t, s.URL(),
		`{"create":{"_index":"narrow","_id":"1"}}`, `{"a":1,"b":2}`,
		`{"create":{"_index":"narrow","_id":"2"}}`, `{"c":{"d":1}}`,
		`{"create":{"_index":"narrow","_id":"3"}}`, `{"c":1}`)
	// Two fields fit; an object and a leaf go past the limit; a third field
	// after the refused document fits, as that one added nothing.
	wantItems(t, r, "201", "400 illegal_argument_exception", "201")
	if !strings.Contains(r.text, "Limit of total fields [3]") {
		t.Errorf("the refusal does not name the limit: %s", r.text)
	}
}

// TestAutoCreateOff: with action.auto_create_index false, a write to a
// missing index fails with 404 index_not_found_exception; existing indices
// take writes.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-index_.html#index-creation
func TestAutoCreateOff(t *testing.T) {
	s := startServer(t)
	createIndex(t, s.URL(), "made", `{}`)
	s.SetAutoCreate(false)
	r := bulk(t, s.URL(), `{"create":{"_index":"mglogs-2","_id":"1"}}`, `{}`, `{"create":{"_index":"made","_id":"1"}}`, `{}`)
	wantItems(t, r, "404 index_not_found_exception", "201")
	s.SetAutoCreate(true)
	wantItems(t, bulk(t, s.URL(), `{"create":{"_index":"mglogs-2","_id":"1"}}`, `{}`), "201")
}

// TestRejectDocs: a predicate refuses documents with a per-item 400
// mapper_parsing_exception, as a mapping that cannot take them would.
func TestRejectDocs(t *testing.T) {
	s := startServer(t)
	s.RejectDocs(func(_ string, doc map[string]any) (string, bool) { return "poison", doc["bad"] == true })
	r := bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"bad":true}`, `{"create":{"_index":"a","_id":"2"}}`, `{}`)
	wantItems(t, r, "400 mapper_parsing_exception", "201")
}

// TestSetDelay: a slow cluster makes the client's timeout fire.
func TestSetDelay(t *testing.T) {
	s := startServer(t)
	s.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := newClient(t, s.URL()).Bulk().Add(elastic.NewBulkCreateRequest().Index("a").Id("1").Doc(map[string]any{})).Do(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("bulk against a delayed server: %v, want a deadline error", err)
	}
}
