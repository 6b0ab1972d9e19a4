package esdev_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olivere/elastic/v7"

	"github.com/logpipe/logpipe/internal/esdev"
)

var base = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

// seedLogs indexes five log documents over two daily indices.
func seedLogs(t *testing.T) (*esdev.Server, *elastic.Client) {
	t.Helper()
	s := startServer(t)
	c := newClient(t, s.URL())
	at := func(d time.Duration) string { return base.Add(d).Format(time.RFC3339) }
	doc := func(ts, host, file, level, msg string, status int, duration any) map[string]any {
		m := map[string]any{"@timestamp": ts, "host": host, "file": file, "level": level, "message": msg, "status": status}
		if duration != nil {
			m["duration"] = duration
		}
		return m
	}
	bulkCreate(t, c, "mglogs-2024.01.01", map[string]any{
		"1": doc(at(0), "web1", "/var/log/app.log", "info", "user login ok", 200, 0.5),
		"2": doc(at(10*time.Minute), "web1", "/var/log/app.log", "error", "Disk full on /dev/sda", 500, 1.5),
		"3": doc(at(70*time.Minute), "web2", "/var/log/app.log", "warn", "slow request timeout", 504, 3.0),
		"4": doc(at(80*time.Minute), "web2", "/var/log/sys.log", "error", "Timeout talking to db", 503, nil),
	})
	bulkCreate(t, c, "mglogs-2024.01.02", map[string]any{
		"5": doc(at(24*time.Hour), "web3", "/var/log/sys.log", "info", "user logout", 200, 0.1),
	})
	return s, c
}

func ids(res *elastic.SearchResult) []string {
	out := make([]string, 0, len(res.Hits.Hits))
	for _, h := range res.Hits.Hits {
		out = append(out, h.Id)
	}
	return out
}

func TestSearchQueries(t *testing.T) {
	_, c := seedLogs(t)
	tests := []struct {
		name    string
		query   elastic.Query
		sort    []elastic.Sorter
		from    int
		size    int
		want    []string
		ordered bool
		total   int64
	}{
		{name: "match_all", query: elastic.NewMatchAllQuery(), want: []string{"1", "2", "3", "4", "5"}},
		{name: "term on keyword sub-field", query: elastic.NewTermQuery("host.keyword", "web2"), want: []string{"3", "4"}},
		{name: "term on text matches a token", query: elastic.NewTermQuery("message", "timeout"), want: []string{"3", "4"}},
		{name: "term on text is not analysed", query: elastic.NewTermQuery("message", "Timeout"), want: []string{}},
		{name: "terms", query: elastic.NewTermsQuery("level.keyword", "error", "warn"), want: []string{"2", "3", "4"}},
		{name: "match any token", query: elastic.NewMatchQuery("message", "DISK login"), want: []string{"1", "2"}},
		{name: "match all tokens", query: elastic.NewMatchQuery("message", "disk login").Operator("and"), want: []string{}},
		{name: "match on keyword is exact", query: elastic.NewMatchQuery("host.keyword", "web1"), want: []string{"1", "2"}},
		{name: "match_phrase", query: elastic.NewMatchPhraseQuery("message", "talking to db"), want: []string{"4"}},
		{name: "query_string AND", query: elastic.NewQueryStringQuery("host:web1 AND level:error"), want: []string{"2"}},
		{name: "query_string bare words OR", query: elastic.NewQueryStringQuery("timeout OR login"), want: []string{"1", "3", "4"}},
		{name: "query_string range and NOT", query: elastic.NewQueryStringQuery("status:>=500 AND NOT host:web2"), want: []string{"2"}},
		{name: "query_string wildcard", query: elastic.NewQueryStringQuery("level:err*"), want: []string{"2", "4"}},
		{name: "query_string phrase", query: elastic.NewQueryStringQuery(`message:"user login"`), want: []string{"1"}},
		{name: "query_string default AND", query: elastic.NewQueryStringQuery("user web3").DefaultOperator("AND"), want: []string{"5"}},
		{name: "range on dates", query: elastic.NewRangeQuery("@timestamp").
			Gte(base.Add(5 * time.Minute).Format(time.RFC3339)).Lte(base.Add(75 * time.Minute).Format(time.RFC3339)),
			want: []string{"2", "3"}},
		{name: "range with date math", query: elastic.NewRangeQuery("@timestamp").Gte("2024-01-01T10:00:00Z||+1h"), want: []string{"3", "4", "5"}},
		{name: "lte a day rounds up to its end", query: elastic.NewRangeQuery("@timestamp").Lte("2024-01-01"), want: []string{"1", "2", "3", "4"}},
		{name: "gt a day rounds up too", query: elastic.NewRangeQuery("@timestamp").Gt("2024-01-01"), want: []string{"5"}},
		{name: "range on long", query: elastic.NewRangeQuery("status").Gt(500), want: []string{"3", "4"}},
		{name: "range on float", query: elastic.NewRangeQuery("duration").Lt(1), want: []string{"1", "5"}},
		{name: "bool", query: elastic.NewBoolQuery().
			Must(elastic.NewTermQuery("host.keyword", "web1")).MustNot(elastic.NewTermQuery("level", "info")),
			want: []string{"2"}},
		{name: "bool should with filter", query: elastic.NewBoolQuery().
			Filter(elastic.NewRangeQuery("status").Gte(500)).
			Should(elastic.NewTermQuery("host.keyword", "web2")).MinimumShouldMatch("1"),
			want: []string{"3", "4"}},
		{name: "exists", query: elastic.NewExistsQuery("duration"), want: []string{"1", "2", "3", "5"}},
		{name: "prefix", query: elastic.NewPrefixQuery("file.keyword", "/var/log/sys"), want: []string{"4", "5"}},
		{name: "ids", query: elastic.NewIdsQuery().Ids("2", "5"), want: []string{"2", "5"}},
		{name: "sort by time desc, size 2", query: elastic.NewMatchAllQuery(),
			sort: []elastic.Sorter{elastic.NewFieldSort("@timestamp").Desc()}, size: 2,
			want: []string{"5", "4"}, ordered: true, total: 5},
		{name: "sort with missing values last", query: elastic.NewMatchAllQuery(),
			sort: []elastic.Sorter{elastic.NewFieldSort("duration").Asc()},
			want: []string{"5", "1", "2", "3", "4"}, ordered: true},
		{name: "paging", query: elastic.NewMatchAllQuery(),
			sort: []elastic.Sorter{elastic.NewFieldSort("status").Desc(), elastic.NewFieldSort("@timestamp").Asc()},
			from: 1, size: 2, want: []string{"4", "2"}, ordered: true, total: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := c.Search("mglogs-*").Query(tt.query).From(tt.from).Size(10)
			if tt.size > 0 {
				svc = svc.Size(tt.size)
			}
			if len(tt.sort) > 0 {
				svc = svc.SortBy(tt.sort...)
			}
			res, err := svc.Do(t.Context())
			if err != nil {
				t.Fatalf("search: %v", err)
			}
			got := ids(res)
			if !tt.ordered {
				slices.Sort(got)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			wantTotal := tt.total
			if wantTotal == 0 {
				wantTotal = int64(len(tt.want))
			}
			if res.TotalHits() != wantTotal || res.Hits.TotalHits.Relation != "eq" {
				t.Errorf("total = %d (%s), want %d (eq)", res.TotalHits(), res.Hits.TotalHits.Relation, wantTotal)
			}
		})
	}
}

func TestSearchHitShape(t *testing.T) {
	_, c := seedLogs(t)
	res, err := c.Search("mglogs-2024.01.02").Query(elastic.NewMatchAllQuery()).Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	h := res.Hits.Hits[0]
	var src map[string]any
	if err := json.Unmarshal(h.Source, &src); err != nil {
		t.Fatal(err)
	}
	if h.Index != "mglogs-2024.01.02" || h.Id != "5" || h.Score == nil || *h.Score != 1 || src["host"] != "web3" {
		t.Errorf("hit = %+v, source %v", h, src)
	}
}

func TestSearchRelativeTime(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	now := time.Now().UTC()
	bulkCreate(t, c, "recent", map[string]any{
		"fresh": map[string]any{"@timestamp": now.Add(-5 * time.Minute).Format(time.RFC3339Nano)},
		"old":   map[string]any{"@timestamp": now.Add(-time.Hour).Format(time.RFC3339Nano)},
	})
	res, err := c.Search("recent").Query(elastic.NewRangeQuery("@timestamp").Gte("now-15m").Lte("now")).Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(res); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("now-15m..now = %v, want [fresh]", got)
	}
}

func TestSearchAggregations(t *testing.T) {
	_, c := seedLogs(t)
	res, err := c.Search("mglogs-*").Size(0).
		Aggregation("hosts", elastic.NewTermsAggregation().Field("host.keyword").
			SubAggregation("per_hour", elastic.NewDateHistogramAggregation().Field("@timestamp").FixedInterval("1h"))).
		Aggregation("timeline", elastic.NewDateHistogramAggregation().Field("@timestamp").CalendarInterval("1h")).
		Aggregation("avg_status", elastic.NewAvgAggregation().Field("status")).
		Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	hosts, ok := res.Aggregations.Terms("hosts")
	if !ok {
		t.Fatal("no hosts aggregation")
	}
	type hourCount struct {
		hour  string
		count int64
	}
	want := map[string][]hourCount{
		"web1": {{"2024-01-01T10:00:00.000Z", 2}},
		"web2": {{"2024-01-01T11:00:00.000Z", 2}},
		"web3": {{"2024-01-02T10:00:00.000Z", 1}},
	}
	if len(hosts.Buckets) != 3 || hosts.Buckets[0].Key != "web1" || hosts.Buckets[2].Key != "web3" {
		t.Fatalf("host buckets = %+v", hosts.Buckets)
	}
	for _, b := range hosts.Buckets {
		hist, _ := b.DateHistogram("per_hour")
		var got []hourCount
		for _, hb := range hist.Buckets {
			got = append(got, hourCount{*hb.KeyAsString, hb.DocCount})
		}
		if !slices.Equal(got, want[b.Key.(string)]) {
			t.Errorf("%v per hour = %v, want %v", b.Key, got, want[b.Key.(string)])
		}
	}
	timeline, _ := res.Aggregations.DateHistogram("timeline")
	var sum int64
	for _, b := range timeline.Buckets {
		sum += b.DocCount
	}
	if len(timeline.Buckets) != 25 || sum != 5 {
		t.Errorf("timeline = %d buckets with %d docs, want 25 hourly buckets (gaps filled) with 5", len(timeline.Buckets), sum)
	}
	if avg, _ := res.Aggregations.Avg("avg_status"); avg == nil || avg.Value == nil || *avg.Value != 381.4 {
		t.Errorf("avg_status = %+v, want 381.4", avg)
	}
}

func TestCountAndGet(t *testing.T) {
	_, c := seedLogs(t)
	n, err := c.Count("mglogs-*").Query(elastic.NewTermQuery("level", "error")).Do(t.Context())
	if err != nil || n != 2 {
		t.Errorf("Count(level:error) = %d, %v; want 2", n, err)
	}
	got, err := c.Get().Index("mglogs-2024.01.01").Id("2").Do(t.Context())
	if err != nil || !got.Found || got.Version == nil || *got.Version != 1 {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := c.Get().Index("mglogs-2024.01.01").Id("nope").Do(t.Context()); !elastic.IsNotFound(err) {
		t.Errorf("Get of a missing id: err = %v, want 404", err)
	}
	if ok, err := c.Exists().Index("mglogs-2024.01.01").Id("1").Do(t.Context()); err != nil || !ok {
		t.Errorf("Exists = %v, %v; want true", ok, err)
	}
}

func TestSearchErrors(t *testing.T) {
	s, c := seedLogs(t)
	_, err := c.Search("mglogs-*").Sort("message", true).Do(t.Context())
	var e *elastic.Error
	if !errors.As(err, &e) || e.Status != 400 || !strings.Contains(toJSON(t, e.Details), "Text fields are not optimised") {
		t.Errorf("sort on text: err = %v, want 400 about fielddata", err)
	}
	if _, err := c.Search("nope").Do(t.Context()); !elastic.IsNotFound(err) {
		t.Errorf("search of a missing index: err = %v, want 404", err)
	}
	res, err := c.Search("nope-*").Do(t.Context())
	if err != nil || res.TotalHits() != 0 {
		t.Errorf("search of an unmatched wildcard = %v, %v; want 0 hits", res, err)
	}
	tests := []struct{ name, body string }{
		{"unknown query", `{"query":{"no_such_query":{}}}`},
		{"unsupported query", `{"query":{"nested":{"path":"a","query":{"match_all":{}}}}}`},
		{"non-number on long", `{"query":{"term":{"status":"abc"}}}`},
		{"unknown key", `{"quarry":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, s.URL()+"/mglogs-*/_search", "application/json", []byte(tt.body))
			if r.status != 400 || r.errorType() == "" {
				t.Errorf("status %d body %s, want 400 with an error object", r.status, r.text)
			}
		})
	}
}

func TestSearchOptions(t *testing.T) {
	s, _ := seedLogs(t)
	tests := []struct {
		name, body string
		wantIDs    []string
		check      func(t *testing.T, hits []any)
	}{
		{name: "search_after pages on the sort values",
			body:    `{"sort":[{"status":"desc"},"_doc"],"search_after":[503,3],"size":2}`,
			wantIDs: []string{"2", "1"}},
		{name: "_source includes", body: `{"query":{"ids":{"values":["1"]}},"_source":["host","mess*"]}`,
			wantIDs: []string{"1"},
			check: func(t *testing.T, hits []any) {
				src := hits[0].(map[string]any)["_source"].(map[string]any)
				if len(src) != 2 || src["host"] != "web1" || src["message"] == nil {
					t.Errorf("_source = %v, want host and message only", src)
				}
			}},
		{name: "_source false", body: `{"query":{"ids":{"values":["1"]}},"_source":false}`,
			wantIDs: []string{"1"},
			check: func(t *testing.T, hits []any) {
				if _, ok := hits[0].(map[string]any)["_source"]; ok {
					t.Error("_source present with _source false")
				}
			}},
		{name: "post_filter narrows hits only",
			body:    `{"post_filter":{"term":{"host.keyword":"web3"}},"aggs":{"h":{"terms":{"field":"host.keyword"}}}}`,
			wantIDs: []string{"5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, http.MethodPost, s.URL()+"/mglogs-*/_search", "application/json", []byte(tt.body))
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.text)
			}
			hits := r.body["hits"].(map[string]any)["hits"].([]any)
			var got []string
			for _, h := range hits {
				got = append(got, h.(map[string]any)["_id"].(string))
			}
			if !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", got, tt.wantIDs)
			}
			if tt.check != nil {
				tt.check(t, hits)
			}
		})
	}
}

func TestPutMappingRefusesTypeChange(t *testing.T) {
	s, _ := seedLogs(t)
	url := s.URL() + "/mglogs-2024.01.01/_mapping"
	if r := do(t, http.MethodPut, url, "application/json", []byte(`{"properties":{"new_field":{"type":"keyword"}}}`)); r.status != 200 {
		t.Errorf("adding a field: %d %s", r.status, r.text)
	}
	r := do(t, http.MethodPut, url, "application/json", []byte(`{"properties":{"status":{"type":"keyword"}}}`))
	if r.status != 400 || !strings.Contains(r.text, "cannot be changed from type [long] to [keyword]") {
		t.Errorf("changing a type: %d %s, want 400 naming both types", r.status, r.text)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	const writers, bulks, perBulk = 8, 10, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range bulks {
				req := c.Bulk()
				for i := range perBulk {
					id := fmt.Sprintf("%d-%d-%d", w, b, i)
					req.Add(elastic.NewBulkCreateRequest().Index("mglogs-concurrent").Id(id).Doc(map[string]any{"w": w, "msg": "m " + id}))
				}
				if res, err := req.Do(t.Context()); err != nil || res.Errors {
					t.Errorf("writer %d bulk %d: %v", w, b, err)
				}
				if _, err := c.Search("mglogs-*").Query(elastic.NewMatchQuery("msg", "m")).Do(t.Context()); err != nil {
					t.Errorf("search while writing: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if got, want := s.Count("mglogs-concurrent"), writers*bulks*perBulk; got != want {
		t.Errorf("Count = %d, want %d", got, want)
	}
	if st := s.Stats(); st.Created != writers*bulks*perBulk || st.BulkRequests != writers*bulks {
		t.Errorf("Stats = %+v", st)
	}
}
