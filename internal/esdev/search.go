package esdev

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResultWindow is Elasticsearch's default index.max_result_window.
const maxResultWindow = 10000

// searchRequest is a parsed _search body plus URL parameters.
type searchRequest struct {
	query       query
	from, size  int
	sorts       []*sortSpec
	searchAfter []any
	aggs        []*aggSpec
	trackTotal  int // hits counted exactly up to this; -1 exact, 0 not at all
	source      bool
	includes    []string
}

// hitRef is a matching document and the index it lives in.
type hitRef struct {
	idx *index
	d   *doc
}

// searchParams are the URL parameters _search implements.
var searchParams = []string{"q", "df", "default_operator", "size", "from", "sort", "track_total_hits",
	"_source", "ignore_unavailable", "allow_no_indices"}

func parseSearch(body map[string]any, q url.Values) (*searchRequest, *apiError) {
	req := &searchRequest{query: matchAllQuery{}, size: 10, trackTotal: maxResultWindow, source: true}
	var aerr *apiError
	for k, v := range body {
		switch k {
		case "query":
			req.query, aerr = parseQuery(v)
		case "size", "from":
			n, ok := toInt(v)
			if !ok || n < 0 {
				return nil, badRequest("[%s] must be a non-negative number", k)
			}
			if k == "size" {
				req.size = n
			} else {
				req.from = n
			}
		case "sort":
			req.sorts, aerr = parseSorts(v)
		case "search_after":
			list, ok := v.([]any)
			if !ok {
				return nil, badRequest("[search_after] must be an array")
			}
			req.searchAfter = list
		case "aggs", "aggregations":
			req.aggs, aerr = parseAggs(v)
		case "track_total_hits":
			req.trackTotal = parseTrackTotal(v)
		case "_source":
			aerr = req.parseSource(v)
		default:
			aerr = unsupported("the search option [%s]", k)
		}
		if aerr != nil {
			return nil, aerr
		}
	}
	return req, req.applyParams(q)
}

// applyParams folds in the URL parameters of a search; they take
// precedence over the body, as in Elasticsearch.
func (req *searchRequest) applyParams(q url.Values) *apiError {
	for _, k := range []string{"size", "from"} {
		if v := q.Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return badRequest("[%s] must be a non-negative number", k)
			}
			if k == "size" {
				req.size = n
			} else {
				req.from = n
			}
		}
	}
	if v := q.Get("q"); v != "" {
		opts := qsOptions{fields: []string{"*"}, and: strings.EqualFold(q.Get("default_operator"), "and")}
		if df := q.Get("df"); df != "" {
			opts.fields = []string{df}
		}
		parsed, aerr := compileQueryString(v, opts)
		if aerr != nil {
			return aerr
		}
		req.query = parsed
	}
	if v := q.Get("sort"); v != "" {
		req.sorts = nil
		for part := range strings.SplitSeq(v, ",") {
			f, order, _ := strings.Cut(part, ":")
			req.sorts = append(req.sorts, newSortSpec(f, order))
		}
	}
	if v := q.Get("track_total_hits"); v != "" {
		req.trackTotal = parseTrackTotal(v)
	}
	if q.Has("_source") {
		if aerr := req.parseSource(q.Get("_source")); aerr != nil {
			return aerr
		}
	}
	if req.from+req.size > maxResultWindow {
		return failf(http.StatusBadRequest, "illegal_argument_exception",
			"Result window is too large, from + size must be less than or equal to: [%d] but was [%d]. "+
				"See the scroll api for a more efficient way to request large data sets.", maxResultWindow, req.from+req.size)
	}
	return nil
}

func parseTrackTotal(v any) int {
	if b, ok := toBool(v); ok {
		return map[bool]int{true: -1, false: 0}[b]
	}
	if n, ok := toInt(v); ok {
		return n
	}
	return maxResultWindow
}

// parseSource reads "_source": true/false, a field or a list of fields
// to include; excludes are not supported.
func (req *searchRequest) parseSource(v any) *apiError {
	if b, ok := toBool(v); ok {
		req.source = b
		return nil
	}
	switch t := v.(type) {
	case string:
		req.includes = strings.Split(t, ",")
		return nil
	case []any:
		for _, e := range t {
			req.includes = append(req.includes, scalarString(e))
		}
		return nil
	}
	return unsupported("[_source] other than a boolean or a list of fields")
}

// searchFailure wraps a shard-level error the way a failed search reports
// it: search_phase_execution_exception with the cause as root cause.
func searchFailure(idx *index, cause *esError) *apiError {
	cause.onIndex(idx.name, idx.uuid)
	top := newESError("search_phase_execution_exception", "all shards failed").
		with("phase", "query").with("grouped", true).because(cause).
		with("failed_shards", []any{map[string]any{"shard": 0, "index": idx.name, "node": nodeID, "reason": cause.object()}})
	top.root = cause
	return fail(http.StatusBadRequest, top)
}

// matchLocked runs the query over the searchable documents of the named
// indices: what the last refresh of each made visible, never later
// writes. The caller holds s.mu for reading.
func (s *Server) matchLocked(names []string, q query, now time.Time) ([]hitRef, *apiError) {
	var hits []hitRef
	for _, name := range names {
		idx := s.indices[name]
		m, err := q.bind(&binder{idx: idx, now: now})
		if err != nil {
			return nil, searchFailure(idx, newESError("query_shard_exception", "%v", err))
		}
		idx.visibleDocs(func(d *doc) {
			if m(d) {
				hits = append(hits, hitRef{idx, d})
			}
		})
	}
	return hits, nil
}

type searchHit struct {
	Index  string          `json:"_index"`
	Type   string          `json:"_type"`
	ID     string          `json:"_id"`
	Score  *float64        `json:"_score"`
	Source json.RawMessage `json:"_source,omitempty"`
	Sort   []any           `json:"sort,omitempty"`
}
