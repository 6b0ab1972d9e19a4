package esdev

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// params are the named path segments of a matched route.
type params map[string]string

// handler answers a request: with a body to write as JSON with 200, an
// error, or neither when it wrote the answer itself.
type handler func(w http.ResponseWriter, r *http.Request, p params) (any, *esError)

type route struct {
	methods []string
	pattern []string // literal segments and {placeholders}
	params  []string // the URL parameters it implements
	handle  handler
}

// routeTable lists every endpoint the stand-in answers (the package doc's
// table); any other path is refused as not supported.
func (s *Server) routeTable() []route {
	get, head, put, post, del := http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete
	var out []route
	add := func(h handler, path, params string, methods ...string) {
		// pretty and the like only shape the answer (filterpath.go).
		out = append(out, route{methods, splitPath(path), strings.Fields(params + " pretty human error_trace filter_path"), h})
	}
	const write = "refresh timeout wait_for_active_shards"
	add(s.handleRoot, "/", "", get, head)
	add(s.handleBulk, "/_bulk", write, post)
	add(s.handleBulk, "/{index}/_bulk", write, post)
	add(s.handleSearch(false), "/_search", "q size from", get, post)
	add(s.handleSearch(false), "/{index}/_search", "q size from", get, post)
	add(s.handleSearch(true), "/_count", "q", get, post)
	add(s.handleSearch(true), "/{index}/_count", "q", get, post)
	add(s.handleRefresh, "/_refresh", "", post)
	add(s.handleRefresh, "/{index}/_refresh", "", post)
	add(s.handleClusterHealth, "/_cluster/health", "level local", get)
	add(s.handleCatIndices, "/_cat/indices", "v", get)
	add(s.handleCatIndices, "/_cat/indices/{index}", "v", get)
	add(s.handleGetTemplate, "/_index_template/{name}", "", get)
	add(s.handlePutTemplate, "/_index_template/{name}", "", put)
	add(s.handlePutPolicy, "/_ilm/policy/{name}", "", put)
	add(s.handleCreateIndex, "/{index}", "", put)
	add(s.handleDeleteIndex, "/{index}", "", del)
	add(s.handleGetDoc, "/{index}/_doc/{id}", "", get)
	add(s.handleIndexDoc, "/{index}/_doc/{id}", write, put)
	add(s.handlePutSettings, "/{index}/_settings", "", put)
	add(s.handleOpenClose(true), "/{index}/_close", "", post)
	add(s.handleOpenClose(false), "/{index}/_open", "", post)
	return out
}

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// match binds path segments to a route pattern; {index} never binds an
// API name (one starting with '_'), except the _all expression.
func match(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	p := params{}
	for i, pat := range pattern {
		name, isVar := strings.CutPrefix(pat, "{")
		switch {
		case !isVar && pat != segs[i]:
			return nil, false
		case isVar && (segs[i] == "" || name == "index}" && strings.HasPrefix(segs[i], "_") && segs[i] != "_all"):
			return nil, false
		case isVar:
			p[strings.TrimSuffix(name, "}")] = segs[i]
		}
	}
	return p, true
}

// route dispatches a request to its handler; other paths and methods are
// refused (where Elasticsearch answers 405 for a known path with another
// method, the stand-in answers 400 too).
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, seg := range segs {
		segs[i], _ = url.PathUnescape(seg)
	}
	for _, rt := range s.table {
		if p, ok := match(rt.pattern, segs); ok && slices.Contains(rt.methods, r.Method) {
			if k, bad := unknownParam(r, rt.params); bad {
				s.writeError(w, r, unsupported("parameter [%s] on [%s %s]", k, r.Method, r.URL.Path))
			} else if _, ferr := filterPathOf(r); ferr != nil {
				s.writeError(w, r, ferr)
			} else if body, aerr := rt.handle(w, r, p); aerr != nil {
				s.writeError(w, r, aerr)
			} else if body != nil {
				s.writeJSON(w, r, http.StatusOK, body)
			}
			return
		}
	}
	s.writeError(w, r, unsupported("uri [%s] with method [%s]", r.URL.Path, r.Method))
}

// unknownParam finds a URL parameter the route does not implement:
// routing, pipeline, require_alias, version_type, min_score and the like
// change what a real cluster does, so they are never ignored.
func unknownParam(r *http.Request, known []string) (string, bool) {
	for k := range r.URL.Query() {
		if !slices.Contains(known, k) {
			return k, true
		}
	}
	return "", false
}

// Identity of the single node. The version carries a "-standin" suffix and
// the tagline says what this is, so nobody mistakes it for Elasticsearch.
const (
	nodeID  = "esdev-standin-node-0"
	tagline = "esdev: an in-memory Elasticsearch-API stand-in for tests; not Elasticsearch"
)

// handleRoot serves GET / and HEAD / (olivere's ping).
func (s *Server) handleRoot(http.ResponseWriter, *http.Request, params) (any, *esError) {
	return map[string]any{"name": "esdev", "cluster_name": "esdev", "tagline": tagline,
		"version": map[string]any{"number": "7.17.0-standin", "build_flavor": "standin", "lucene_version": "none",
			"minimum_wire_compatibility_version": "6.8.0", "minimum_index_compatibility_version": "6.0.0-beta1"}}, nil
}
