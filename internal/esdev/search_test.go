package esdev_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/olivere/elastic/v7"
)

// seed indexes docs into a refreshed index mapped as logtransfer's
// template maps it (host.name and log.file.path keywords, message text,
// @timestamp and event.created dates).
func seed(t *testing.T, url string, docs ...map[string]any) {
	t.Helper()
	mapping := `{"mappings":{"properties":{"@timestamp":{"type":"date"},"message":{"type":"text"},` +
		`"host":{"properties":{"name":{"type":"keyword"}}},"log":{"properties":{"file":{"properties":{"path":{"type":"keyword"}}}}},` +
		`"event":{"properties":{"created":{"type":"date"}}}}}}`
	if r := do(t, http.MethodPut, url+"/logs", mapping); r.status != 200 {
		t.Fatalf("create: %s", r.text)
	}
	var lines []string
	for i, d := range docs {
		b, _ := json.Marshal(d)
		lines = append(lines, fmt.Sprintf(`{"create":{"_index":"logs","_id":"%d"}}`, i), string(b))
	}
	if r := bulk(t, url, lines...); r.body["errors"] != false {
		t.Fatalf("seed: %s", r.text)
	}
	do(t, http.MethodPost, url+"/logs/_refresh", "")
}

func logDoc(ago time.Duration, host, path, msg string) map[string]any {
	at := time.Now().Add(-ago).UTC().Format(time.RFC3339Nano)
	return map[string]any{"@timestamp": at, "message": msg, "host": map[string]any{"name": host},
		"log": map[string]any{"file": map[string]any{"path": path}}, "event": map[string]any{"created": at}}
}

// TestLogctlSearch: the query logctl search sends — query_string in a
// bool must, a range filter with date math "now-15m", newest first with
// unmapped_type — other leaf queries, and the demo's curl line (?q=). A
// partial date as an lte bound takes in its whole unit.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/query-dsl-query-string-query.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/query-dsl-range-query.html#range-query-date-math-rounding
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/common-options.html#date-math
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/sort-search-results.html
func TestLogctlSearch(t *testing.T) {
	s := startServer(t)
	seed(t, s.URL(),
		logDoc(time.Minute, "web-1", "/a", "upstream timed out"),
		logDoc(5*time.Minute, "web-2", "/a", "GET / 200"),
		logDoc(2*time.Hour, "web-1", "/b", "timed out long ago"),
		logDoc(30*time.Second, "web-2", "/b", "Timed out again"))
	c := newClient(t, s.URL())
	ids := func(q elastic.Query) string {
		res, err := c.Search("logs").Query(q).SortBy(elastic.NewFieldSort("@timestamp").Desc().UnmappedType("date")).Size(10).Do(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range res.Hits.Hits {
			out = append(out, h.Id)
		}
		return strings.Join(out, ",")
	}
	recent := elastic.NewRangeQuery("@timestamp").Gte("now-15m")
	for _, tt := range []struct{ query, want string }{
		{"message:timed", "3,0"},
		{"timed AND host.name:web-1", "0"},
		{`message:"out again"`, "3"},
		{"message:tim*", "3,0"},
		{"NOT host.name:web-2", "0"},
		{"(web-1 OR web-2) AND NOT message:timed", "1"},
		{"*", "3,0,1"},
	} {
		if got := ids(elastic.NewBoolQuery().Must(elastic.NewQueryStringQuery(tt.query)).Filter(recent)); got != tt.want {
			t.Errorf("%q: hits %q, want %q", tt.query, got, tt.want)
		}
	}
	for _, tt := range []struct {
		q    elastic.Query
		want string
	}{
		{elastic.NewTermQuery("host.name", "web-1"), "0"},
		{elastic.NewTermQuery("message", "again"), "3"},
		{elastic.NewRangeQuery("@timestamp").Lt("now-45s"), "0,1"},
		{elastic.NewMatchAllQuery(), "3,0,1"},
		// This year as an lte bound is its end, not its start.
		{elastic.NewRangeQuery("@timestamp").Lte(time.Now().UTC().Format("2006")), "3,0,1"},
	} {
		if got := ids(elastic.NewBoolQuery().Must(tt.q).Filter(recent)); got != tt.want {
			src, _ := tt.q.Source()
			t.Errorf("%v: hits %q, want %q", src, got, tt.want)
		}
	}
	r := do(t, http.MethodGet, s.URL()+"/logs/_search?q=message:timed&size=1&pretty", "")
	if hits := r.body["hits"].(map[string]any); len(hits["hits"].([]any)) != 1 || hits["total"].(map[string]any)["value"] != 3.0 {
		t.Errorf("curl ?q=message:timed&size=1: %s", r.text)
	}
}

// TestAuditAggregation: logctl audit's terms → terms → date_histogram
// (fixed_interval 1h, min_doc_count 1) over a bool filter.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/search-aggregations-bucket-terms-aggregation.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/search-aggregations-bucket-datehistogram-aggregation.html
func TestAuditAggregation(t *testing.T) {
	s := startServer(t)
	seed(t, s.URL(), logDoc(0, "web-1", "/a", "x"), logDoc(0, "web-1", "/a", "x"), logDoc(0, "web-1", "/b", "x"),
		logDoc(0, "web-2", "/a", "x"), logDoc(48*time.Hour, "web-2", "/a", "old"))
	hours := elastic.NewDateHistogramAggregation().Field("event.created").FixedInterval("1h").MinDocCount(1)
	files := elastic.NewTermsAggregation().Field("log.file.path").Size(100).SubAggregation("hours", hours)
	agents := elastic.NewTermsAggregation().Field("host.name").Size(100).SubAggregation("files", files)
	q := elastic.NewBoolQuery().Filter(elastic.NewRangeQuery("event.created").Gte(time.Now().Add(-time.Hour).Format(time.RFC3339)))
	res, err := newClient(t, s.URL()).Search("logs").Query(q).Size(0).Aggregation("agents", agents).Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ab, _ := res.Aggregations.Terms("agents")
	var got []string
	for _, a := range ab.Buckets {
		fb, _ := a.Terms("files")
		for _, f := range fb.Buckets {
			hb, _ := f.DateHistogram("hours")
			got = append(got, fmt.Sprintf("%v%v:%d/%d", a.Key, f.Key, f.DocCount, len(hb.Buckets)))
		}
	}
	if strings.Join(got, " ") != "web-1/a:2/1 web-1/b:1/1 web-2/a:1/1" {
		t.Errorf("buckets %v", got)
	}
}

// TestPagingInDocOrder: the demo's check pages with sort _doc and
// search_after, _source filtered to message; from + size may not pass
// index.max_result_window, 10000.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/paginate-search-results.html#search-after
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/search-fields.html#source-filtering
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules.html#index-max-result-window
func TestPagingInDocOrder(t *testing.T) {
	s := startServer(t)
	var docs []map[string]any
	for i := range 25 {
		docs = append(docs, logDoc(0, "h", "/p", fmt.Sprint(i)))
	}
	seed(t, s.URL(), docs...)
	var after string
	var got []string
	for range 4 {
		body := `{"size":10,"sort":["_doc"],"_source":["message"]` + after + `}`
		hits := do(t, http.MethodPost, s.URL()+"/logs/_search", body).body["hits"].(map[string]any)["hits"].([]any)
		for _, h := range hits {
			src := h.(map[string]any)["_source"].(map[string]any)
			if len(src) != 1 {
				t.Fatalf("_source not filtered: %v", src)
			}
			got = append(got, src["message"].(string))
		}
		if len(hits) < 10 {
			break
		}
		sortVals, _ := json.Marshal(hits[len(hits)-1].(map[string]any)["sort"])
		after = `,"search_after":` + string(sortVals)
	}
	if len(got) != 25 || got[0] != "0" || got[24] != "24" {
		t.Errorf("paged %d messages: %v", len(got), got)
	}
	hits := do(t, http.MethodPost, s.URL()+"/logs/_search", `{"size":2,"from":20,"sort":["_doc"]}`).body["hits"].(map[string]any)["hits"].([]any)
	if len(hits) != 2 || hits[0].(map[string]any)["_source"].(map[string]any)["message"] != "20" {
		t.Errorf("size 2 from 20: %v", hits)
	}
	if r := do(t, http.MethodGet, s.URL()+"/logs/_search?size=9999&from=2", ""); r.status != http.StatusBadRequest || r.errorType() != "illegal_argument_exception" {
		t.Errorf("from + size over 10000: %d %s", r.status, r.text)
	}
}
