package esdev

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxResultWindow is Elasticsearch's default index.max_result_window.
const maxResultWindow = 10000

// searchRequest is a parsed _search or _count body plus URL parameters.
type searchRequest struct {
	query       query
	from, size  int
	sorts       []*sortSpec
	searchAfter []any
	aggs        []*aggSpec
	includes    []string
}

// hitRef is a matching document and the index it lives in.
type hitRef struct {
	idx *index
	d   *doc
}

// parseSearch reads the body keys and URL parameters the stand-in
// implements, and refuses every other; URL parameters win over the body.
// A _count takes only a query.
func parseSearch(r *http.Request, count bool) (*searchRequest, *esError) {
	body, aerr := readObjectBody(r)
	req := &searchRequest{query: matchAllQuery{}, size: 10}
	q := r.URL.Query()
	for k, v := range body {
		switch {
		case aerr != nil:
		case k == "query":
			req.query, aerr = parseQuery(v)
		case count:
			aerr = unsupported("[%s] in a count request", k)
		case k == "size" || k == "from":
			q[k] = append(q[k], scalarString(v)) // the URL's comes first
		case k == "_source":
			list, ok := v.([]any)
			for _, e := range list {
				req.includes = append(req.includes, scalarString(e))
				ok = ok && !strings.ContainsAny(scalarString(e), ".*")
			}
			if !ok {
				aerr = unsupported("[_source] other than a list of top-level fields")
			}
		case k == "sort":
			req.sorts, aerr = parseSorts(v)
		case k == "search_after":
			req.searchAfter, _ = v.([]any)
		case k == "aggs" || k == "aggregations":
			req.aggs, aerr = parseAggs(v)
		default:
			aerr = unsupported("the search option [%s]", k)
		}
	}
	if aerr == nil && q.Has("q") {
		req.query, aerr = compileQueryString(q.Get("q"))
	}
	for k, dst := range map[string]*int{"size": &req.size, "from": &req.from} {
		if n, err := strconv.Atoi(cmp.Or(q.Get(k), strconv.Itoa(*dst))); aerr == nil && (err != nil || n < 0) {
			aerr = badRequest("[%s] must be a non-negative number", k)
		} else {
			*dst = n
		}
	}
	if aerr == nil && req.from+req.size > maxResultWindow {
		aerr = failf(http.StatusBadRequest, "illegal_argument_exception",
			"Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. "+
				"See the scroll api for a more efficient way to request large data sets.", maxResultWindow, req.from+req.size)
	}
	return req, aerr
}

// searchFailure wraps a shard-level error the way a failed search reports
// it: search_phase_execution_exception with the cause as root cause.
func searchFailure(idx *index, cause *esError) *esError {
	cause.onIndex(idx.name, idx.uuid)
	top := newESError("search_phase_execution_exception", "all shards failed").
		with("phase", "query").with("grouped", true).because(cause).
		with("failed_shards", []any{map[string]any{"shard": 0, "index": idx.name, "node": nodeID, "reason": cause.object()}})
	top.root = cause
	return fail(http.StatusBadRequest, top)
}

// handleSearch serves GET/POST [/{index}]/_search, or _count if count: it
// runs the query over the searchable documents of the indices, what the
// last refresh of each made visible, never later writes.
func (s *Server) handleSearch(count bool) handler {
	return func(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
		start := time.Now()
		s.bump(&s.stats.Searches, 1)
		req, aerr := parseSearch(r, count)
		if aerr != nil {
			return nil, aerr
		}
		return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
			var hits []hitRef
			for _, idx := range idxs {
				m, err := req.query.bind(&binder{idx: idx, now: start})
				if err != nil {
					return nil, searchFailure(idx, newESError("query_shard_exception", "%v", err))
				}
				idx.visibleDocs(func(d *doc) {
					if m(d) {
						hits = append(hits, hitRef{idx, d})
					}
				})
			}
			shards := shardsInfo{Total: len(idxs), Successful: len(idxs)}
			if count {
				return map[string]any{"count": len(hits), "_shards": shards}, nil
			}
			var aggs map[string]any
			aerr := sortHits(idxs, req.sorts, hits)
			if aerr == nil && req.aggs != nil {
				aggs, aerr = runAggs(idxs, req.aggs, hits)
			}
			total := len(hits)
			if aerr == nil && req.searchAfter != nil {
				hits, aerr = applySearchAfter(req.sorts, req.searchAfter, hits)
			}
			if aerr != nil {
				return nil, aerr
			}
			resp := map[string]any{"took": time.Since(start).Milliseconds(), "timed_out": false, "_shards": shards,
				"hits": req.renderHits(hits[min(req.from, len(hits)):min(req.from+req.size, len(hits))], total)}
			if aggs != nil {
				resp["aggregations"] = aggs
			}
			return resp, nil
		})
	}
}

type searchHit struct {
	Index  string          `json:"_index"`
	Type   string          `json:"_type"`
	ID     string          `json:"_id"`
	Score  *float64        `json:"_score"`
	Source json.RawMessage `json:"_source,omitempty"`
	Sort   []any           `json:"sort,omitempty"`
}

// renderHits renders a page: score 1, or 0 in filter context, and null
// when sorted by a field, as Elasticsearch does without relevance.
func (req *searchRequest) renderHits(page []hitRef, total int) map[string]any {
	score := 1.0
	if b, ok := req.query.(*boolQuery); ok && len(b.must)+len(b.should) == 0 {
		score = 0
	}
	// Elasticsearch counts hits exactly up to track_total_hits, 10000.
	hits := map[string]any{"max_score": nil, "total": map[string]any{"value": min(total, maxResultWindow),
		"relation": map[bool]string{true: "gte", false: "eq"}[total > maxResultWindow]}}
	out := make([]searchHit, 0, len(page))
	for _, h := range page {
		hit := searchHit{Index: h.idx.name, Type: "_doc", ID: h.d.id, Source: h.d.source}
		if req.sorts == nil {
			hit.Score, hits["max_score"] = &score, score
		} else {
			hit.Sort = sortKeys(req.sorts, h)
		}
		if req.includes != nil {
			hit.Source = includeSource(h.d.source, req.includes)
		}
		out = append(out, hit)
	}
	hits["hits"] = out
	return hits
}

// includeSource keeps the top-level fields of src named in includes.
func includeSource(src json.RawMessage, includes []string) json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(src, &m)
	maps.DeleteFunc(m, func(k string, _ json.RawMessage) bool { return !slices.Contains(includes, k) })
	b, _ := json.Marshal(m)
	return b
}
