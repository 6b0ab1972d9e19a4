package esdev

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// handleSearch serves GET/POST [/{index}]/_search.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request, p params) {
	start := time.Now()
	s.stats.searches.Add(1)
	body, aerr := readObjectBody(r)
	if aerr == nil {
		aerr = checkParams(r, searchParams...)
	}
	var req *searchRequest
	if aerr == nil {
		req, aerr = parseSearch(body, r.URL.Query())
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	var hits []hitRef
	if aerr == nil {
		hits, aerr = s.matchLocked(names, req.query, start)
	}
	if aerr == nil {
		aerr = s.sortHits(names, req, hits)
	}
	var aggs map[string]any
	if aerr == nil && len(req.aggs) > 0 {
		aggs, aerr = s.runAggs(names, req.aggs, hits)
	}
	total := len(hits)
	if aerr == nil && len(req.searchAfter) > 0 {
		hits, aerr = applySearchAfter(req, hits)
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
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
	score := 1.0
	if b, ok := req.query.(*boolQuery); ok && len(b.must)+len(b.should) == 0 {
		score = 0 // filter context
	}
	out := make([]searchHit, 0, len(page))
	for _, h := range page {
		hit := searchHit{Index: h.idx.name, Type: "_doc", ID: h.d.id}
		if !sortedByField {
			hit.Score = &score
		}
		if req.source {
			hit.Source = h.d.source
			if req.includes != nil {
				hit.Source = includeSource(h.d.source, req.includes)
			}
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
	case req.trackTotal < 0 || total <= req.trackTotal && req.trackTotal > 0:
		hits["total"] = map[string]any{"value": total, "relation": "eq"}
	case req.trackTotal > 0:
		hits["total"] = map[string]any{"value": req.trackTotal, "relation": "gte"}
	}
	return hits
}

// includeSource keeps the paths of src matching includes: a path, a '*'
// glob, or an object whose whole subtree it selects.
func includeSource(src json.RawMessage, includes []string) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(src, &m) != nil {
		return src
	}
	var filter func(obj map[string]any, prefix string) map[string]any
	filter = func(obj map[string]any, prefix string) map[string]any {
		out := make(map[string]any)
		for k, v := range obj {
			path := joinPath(prefix, k)
			if slices.ContainsFunc(includes, func(p string) bool { return globMatch(p, path) || strings.HasPrefix(path, p+".") }) {
				out[k] = v
			} else if sub, ok := v.(map[string]any); ok {
				if f := filter(sub, path); len(f) > 0 {
					out[k] = f
				}
			}
		}
		return out
	}
	b, _ := json.Marshal(filter(m, ""))
	return b
}

// handleCount serves GET/POST [/{index}]/_count.
func (s *Server) handleCount(w http.ResponseWriter, r *http.Request, p params) {
	s.stats.searches.Add(1)
	body, aerr := readObjectBody(r)
	if aerr == nil {
		aerr = checkParams(r, "q", "df", "default_operator", "ignore_unavailable", "allow_no_indices")
	}
	req := &searchRequest{query: matchAllQuery{}}
	for k, v := range body {
		if aerr == nil && k != "query" {
			aerr = unsupported("[%s] in a count request", k)
		}
		if aerr == nil {
			req.query, aerr = parseQuery(v)
		}
	}
	if aerr == nil {
		aerr = req.applyParams(r.URL.Query())
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	var hits []hitRef
	if aerr == nil {
		hits, aerr = s.matchLocked(names, req.query, time.Now())
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"count": len(hits), "_shards": shardsInfo{Total: len(names), Successful: len(names)},
	})
}
