package esdev

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxResultWindow is Elasticsearch's default index.max_result_window.
const maxResultWindow = 10000

// searchRequest is a parsed _search body plus URL parameters.
type searchRequest struct {
	query, postFilter  query
	from, size         int
	sorts              []*sortSpec
	searchAfter        []any
	aggs               []*aggSpec
	trackTotal         int // hits counted exactly up to this; -1 exact, 0 not at all
	totalAsInt         bool
	source             bool
	includes, excludes []string
	version, seqNo     bool
}

// hitRef is a matching document and the index it lives in.
type hitRef struct {
	idx *index
	d   *doc
}

// Search body keys that do not change which documents match or how they
// are ordered; the stand-in accepts and ignores them.
var ignoredSearchKeys = map[string]bool{
	"timeout": true, "track_scores": true, "explain": true, "profile": true, "highlight": true,
	"stored_fields": true, "docvalue_fields": true, "fields": true, "stats": true, "min_score": true,
}

func parseSearch(body map[string]any, q url.Values) (*searchRequest, *apiError) {
	req := &searchRequest{query: matchAllQuery{}, size: 10, trackTotal: maxResultWindow, source: true}
	var aerr *apiError
	for _, k := range slices.Sorted(maps.Keys(body)) {
		v := body[k]
		switch k {
		case "query":
			req.query, aerr = parseQuery(v)
		case "post_filter":
			req.postFilter, aerr = parseQuery(v)
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
		case "version":
			req.version, _ = toBool(v)
		case "seq_no_primary_term":
			req.seqNo, _ = toBool(v)
		case "collapse", "rescore", "suggest", "script_fields", "pit", "runtime_mappings", "slice", "knn", "indices_boost":
			return nil, unsupported("search option [%s]", k)
		default:
			if !ignoredSearchKeys[k] {
				return nil, badRequest("Unknown key for a %s in [%s].", jsonKind(v), k)
			}
		}
		if aerr != nil {
			return nil, aerr
		}
	}
	return req, req.applyParams(q)
}

// applyParams folds in the URL parameters of a search (q, size, from, sort,
// ...); they take precedence over the body, as in Elasticsearch.
func (req *searchRequest) applyParams(q url.Values) *apiError {
	if q.Has("scroll") {
		return unsupported("scroll")
	}
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
	if v := q.Get("_source"); v == "false" {
		req.source = false
	}
	if q.Get("rest_total_hits_as_int") == "true" {
		req.totalAsInt, req.trackTotal = true, -1
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
		if b {
			return -1
		}
		return 0
	}
	if n, ok := toInt(v); ok {
		return n
	}
	return maxResultWindow
}

// parseSource reads "_source": true/false, a list of include patterns, or
// {"includes": [...], "excludes": [...]}.
func (req *searchRequest) parseSource(v any) *apiError {
	strs := func(x any) []string {
		switch t := x.(type) {
		case string:
			return []string{t}
		case []any:
			out := make([]string, 0, len(t))
			for _, e := range t {
				out = append(out, scalarString(e))
			}
			return out
		}
		return nil
	}
	switch t := v.(type) {
	case bool:
		req.source = t
	case string, []any:
		req.includes = strs(t)
	case map[string]any:
		req.includes, req.excludes = strs(t["includes"]), strs(t["excludes"])
	default:
		return badRequest("[_source] must be a boolean, an array or an object")
	}
	return nil
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

// matchAll runs the query (and post_filter) over the named indices. It
// returns the hits and, for aggregations, the query matches before
// post_filter. The caller holds s.mu for reading.
func (s *Server) matchLocked(names []string, q, post query, now time.Time) (hits, all []hitRef, aerr *apiError) {
	for _, name := range names {
		idx := s.indices[name]
		b := &binder{idx: idx, now: now}
		m, err := q.bind(b)
		if err != nil {
			return nil, nil, searchFailure(idx, newESError("query_shard_exception", "%v", err))
		}
		pm := matcher(func(*doc) bool { return true })
		if post != nil {
			if pm, err = post.bind(b); err != nil {
				return nil, nil, searchFailure(idx, newESError("query_shard_exception", "%v", err))
			}
		}
		for _, d := range idx.docsInOrder() {
			if m(d) {
				all = append(all, hitRef{idx, d})
				if pm(d) {
					hits = append(hits, hitRef{idx, d})
				}
			}
		}
	}
	return hits, all, nil
}

type searchHit struct {
	Index       string          `json:"_index"`
	Type        string          `json:"_type"`
	ID          string          `json:"_id"`
	Version     *int64          `json:"_version,omitempty"`
	SeqNo       *int64          `json:"_seq_no,omitempty"`
	PrimaryTerm *int64          `json:"_primary_term,omitempty"`
	Score       *float64        `json:"_score"`
	Source      json.RawMessage `json:"_source,omitempty"`
	Sort        []any           `json:"sort,omitempty"`
}

// handleSearch serves GET/POST [/{index}]/_search.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, p params) {
	start := time.Now()
	s.stats.searches.Add(1)
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	req, aerr := parseSearch(body, r.URL.Query())
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	hits, all, aerr := s.matchLocked(names, req.query, req.postFilter, start)
	if aerr == nil {
		aerr = s.sortHits(names, req, hits)
	}
	var aggs map[string]any
	if aerr == nil && len(req.aggs) > 0 {
		aggs, aerr = s.runAggs(names, req.aggs, all)
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	total := len(hits)
	if len(req.searchAfter) > 0 {
		if hits, aerr = applySearchAfter(req, hits); aerr != nil {
			s.writeError(w, r, aerr)
			return
		}
	}
	page := hits[min(req.from, len(hits)):min(req.from+req.size, len(hits))]
	resp := map[string]any{
		"took":      time.Since(start).Milliseconds(),
		"timed_out": false,
		"_shards":   shardsInfo{Total: len(names), Successful: len(names)},
		"hits":      req.renderHits(page, total),
	}
	if aggs != nil {
		resp["aggregations"] = aggs
	}
	s.writeJSON(w, r, http.StatusOK, resp)
}

func (req *searchRequest) renderHits(page []hitRef, total int) map[string]any {
	sortedByField := len(req.sorts) > 0 && !(len(req.sorts) == 1 && req.sorts[0].field == "_score")
	score := 0.0
	if req.query.scoring() {
		score = 1.0
	}
	out := make([]searchHit, 0, len(page))
	for _, h := range page {
		hit := searchHit{Index: h.idx.name, Type: "_doc", ID: h.d.id}
		if !sortedByField {
			hit.Score = &score
		}
		if req.source {
			hit.Source = h.d.source
			if req.includes != nil || req.excludes != nil {
				hit.Source, _ = json.Marshal(filterSource(h.d.parsed, "", req.includes, req.excludes))
			}
		}
		if req.version {
			v := h.d.version
			hit.Version = &v
		}
		if req.seqNo {
			seq, term := h.d.seqNo, int64(primaryTerm)
			hit.SeqNo, hit.PrimaryTerm = &seq, &term
		}
		if len(req.sorts) > 0 {
			hit.Sort = sortValues(req.sorts, h)
		}
		out = append(out, hit)
	}
	hits := map[string]any{"hits": out, "max_score": nil}
	if !sortedByField && len(page) > 0 {
		hits["max_score"] = score
	}
	switch {
	case req.totalAsInt:
		hits["total"] = total
	case req.trackTotal < 0 || total <= req.trackTotal && req.trackTotal > 0:
		hits["total"] = map[string]any{"value": total, "relation": "eq"}
	case req.trackTotal > 0:
		hits["total"] = map[string]any{"value": req.trackTotal, "relation": "gte"}
	}
	return hits
}

// filterSource keeps the leaf paths matching includes (all when there
// are none) and not matching excludes; a pattern names a path, a '*' glob,
// or an object whose whole subtree it selects.
func filterSource(src map[string]any, prefix string, includes, excludes []string) map[string]any {
	out := make(map[string]any)
	for k, v := range src {
		path := joinPath(prefix, k)
		if obj, ok := v.(map[string]any); ok {
			if sub := filterSource(obj, path, includes, excludes); len(sub) > 0 {
				out[k] = sub
			}
			continue
		}
		if pathMatches(excludes, path) || len(includes) > 0 && !pathMatches(includes, path) {
			continue
		}
		out[k] = v
	}
	return out
}

func pathMatches(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		return globMatch(p, path) || strings.HasPrefix(path, p+".")
	})
}

// handleCount serves GET/POST [/{index}]/_count.
func (s *Server) handleCount(w http.ResponseWriter, r *http.Request, p params) {
	s.stats.searches.Add(1)
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	req := &searchRequest{query: matchAllQuery{}}
	for k, v := range body {
		if k != "query" {
			s.writeError(w, r, badRequest("request does not support [%s]", k))
			return
		}
		if req.query, aerr = parseQuery(v); aerr != nil {
			s.writeError(w, r, aerr)
			return
		}
	}
	if aerr := req.applyParams(r.URL.Query()); aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	hits, _, aerr := s.matchLocked(names, req.query, nil, time.Now())
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"count": len(hits), "_shards": shardsInfo{Total: len(names), Successful: len(names)},
	})
}
