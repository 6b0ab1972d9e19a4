package esdev_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUnsupportedIsRefused: whatever the stand-in does not implement is
// answered 400 "... is not supported by the stand-in", never accepted and
// ignored: a real cluster would act on it, so a test passing here would
// prove nothing. One row per refusal; the pages of the main ones:
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/search-aggregations-bucket-terms-aggregation.html (include, exclude)
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/mapping-routing-field.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-index_.html#index-versioning
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-bulk.html#bulk-api-query-params (require_alias, pipeline, routing)
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/search-search.html#search-search-api-request-body (min_score)
func TestUnsupportedIsRefused(t *testing.T) {
	s := startServer(t)
	bulk(t, s.URL(), `{"create":{"_index":"logs","_id":"1"}}`, `{"host":"a","@timestamp":"2024-01-01T00:00:00Z"}`)
	for _, tt := range []struct {
		name               string
		method, path, body string
		header             []string
	}{
		{"terms aggregation include", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"terms":{"field":"host.keyword","include":"a.*"}}}}`, nil},
		{"terms aggregation exclude", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"terms":{"field":"host.keyword","exclude":["b"]}}}}`, nil},
		{"other aggregations", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"cardinality":{"field":"host.keyword"}}}}`, nil},
		{"date_histogram empty buckets", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"date_histogram":{"field":"@timestamp","fixed_interval":"1h"}}}}`, nil},
		{"terms min_doc_count", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"terms":{"field":"host.keyword","min_doc_count":0}}}}`, nil},
		{"calendar_interval", http.MethodPost, "/logs/_search", `{"aggs":{"h":{"date_histogram":{"field":"@timestamp","calendar_interval":"1d"}}}}`, nil},
		{"min_score", http.MethodPost, "/logs/_search", `{"min_score":1}`, nil},
		{"highlight", http.MethodPost, "/logs/_search", `{"highlight":{"fields":{"host":{}}}}`, nil},
		{"post_filter", http.MethodPost, "/logs/_search", `{"post_filter":{"match_all":{}}}`, nil},
		{"metadata fields", http.MethodPost, "/logs/_search", `{"query":{"term":{"_id":"1"}}}`, nil},
		{"other queries", http.MethodPost, "/logs/_search", `{"query":{"match":{"host":"b"}}}`, nil},
		{"query_string ranges", http.MethodPost, "/logs/_search", `{"query":{"query_string":{"query":"n:[1 TO 2]"}}}`, nil},
		{"sort mode", http.MethodPost, "/logs/_search", `{"sort":[{"@timestamp":{"mode":"avg"}}]}`, nil},
		{"_source paths and patterns", http.MethodPost, "/logs/_search", `{"_source":["host.*"]}`, nil},
		{"_source excludes", http.MethodPost, "/logs/_search", `{"_source":{"excludes":["host"]}}`, nil},
		{"scroll", http.MethodPost, "/logs/_search?scroll=1m", `{}`, nil},
		{"routing on search", http.MethodPost, "/logs/_search?routing=a", `{}`, nil},
		{"routing in a bulk action", http.MethodPost, "/_bulk", "{\"create\":{\"_index\":\"logs\",\"routing\":\"a\"}}\n{}\n", nil},
		{"routing on _bulk", http.MethodPost, "/_bulk?routing=a", "{\"create\":{\"_index\":\"logs\"}}\n{}\n", nil},
		{"version_type external", http.MethodPost, "/_bulk", "{\"index\":{\"_index\":\"logs\",\"_id\":\"1\",\"version\":5,\"version_type\":\"external\"}}\n{}\n", nil},
		{"version_type on PUT _doc", http.MethodPut, "/logs/_doc/1?version=5&version_type=external", `{}`, nil},
		{"require_alias in a bulk action", http.MethodPost, "/_bulk", "{\"create\":{\"_index\":\"logs\",\"require_alias\":true}}\n{}\n", nil},
		{"require_alias on _bulk", http.MethodPost, "/_bulk?require_alias=true", "{\"create\":{\"_index\":\"logs\"}}\n{}\n", nil},
		{"pipeline", http.MethodPost, "/_bulk?pipeline=p", "{\"create\":{\"_index\":\"logs\"}}\n{}\n", nil},
		{"if_seq_no", http.MethodPost, "/_bulk", "{\"index\":{\"_index\":\"logs\",\"_id\":\"1\",\"if_seq_no\":0,\"if_primary_term\":1}}\n{}\n", nil},
		{"overwriting a document", http.MethodPut, "/logs/_doc/1", `{}`, nil},
		{"bulk update", http.MethodPost, "/_bulk", "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"doc\":{}}\n", nil},
		{"bulk delete", http.MethodPost, "/_bulk", "{\"delete\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n", nil},
		{"gzip bodies", http.MethodPost, "/_bulk", "x", []string{"Content-Encoding", "gzip"}},
		{"realtime=false", http.MethodGet, "/logs/_doc/1?realtime=false", "", nil},
		{"update API", http.MethodPost, "/logs/_update/1", `{"doc":{}}`, nil},
		{"sniffing (_nodes)", http.MethodGet, "/_nodes/http", "", nil},
		{"legacy templates", http.MethodPut, "/_template/t", `{"index_patterns":["x-*"]}`, nil},
		{"component templates", http.MethodPut, "/_index_template/t", `{"index_patterns":["x-*"],"composed_of":["c"]}`, nil},
		{"aliases", http.MethodPut, "/x", `{"aliases":{"y":{}}}`, nil},
		{"custom date formats", http.MethodPut, "/x", `{"mappings":{"properties":{"t":{"type":"date","format":"yyyy/MM/dd"}}}}`, nil},
		{"other field types", http.MethodPut, "/x", `{"mappings":{"properties":{"ip":{"type":"ip"}}}}`, nil},
		{"dynamic template conditions", http.MethodPut, "/x", `{"mappings":{"dynamic_templates":[{"s":{"match":"a*","mapping":{"type":"keyword"}}}]}}`, nil},
		{"_cat sorting", http.MethodGet, "/_cat/indices?s=index", "", nil},
		{"_cat formats", http.MethodGet, "/_cat/indices?format=json", "", nil},
		{"mapping parameters", http.MethodPut, "/x", `{"mappings":{"dynamic":"strict"}}`, nil},
		{"field parameters", http.MethodPut, "/x", `{"mappings":{"properties":{"n":{"type":"long","ignore_malformed":true}}}}`, nil},
		{"date math rounding", http.MethodPost, "/logs/_search", `{"query":{"range":{"@timestamp":{"gte":"now/d"}}}}`, nil},
		{"range format", http.MethodPost, "/logs/_search", `{"query":{"range":{"@timestamp":{"gte":"2024","format":"yyyy"}}}}`, nil},
		{"minimum_should_match", http.MethodPost, "/logs/_search", `{"query":{"bool":{"should":[{"match_all":{}}],"minimum_should_match":1}}}`, nil},
		{"query_string options", http.MethodPost, "/logs/_search", `{"query":{"query_string":{"query":"a b","default_operator":"and"}}}`, nil},
		{"df", http.MethodGet, "/logs/_search?q=a&df=host", "", nil},
		{"ignore_unavailable", http.MethodGet, "/logs,nope/_search?ignore_unavailable=true", "", nil},
		{"other methods", http.MethodGet, "/_bulk", "", nil},
		{"unknown parameters", http.MethodPost, "/logs/_refresh?ignore_unavailable=true", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, s.URL()+tt.path, tt.body, tt.header...)
			if r.status != http.StatusBadRequest || !strings.Contains(r.text, "not supported by the stand-in") {
				t.Fatalf("%s %s: %d %s, want 400 not supported by the stand-in", tt.method, tt.path, r.status, r.text)
			}
		})
	}
}
