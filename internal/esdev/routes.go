package esdev

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// params are the named path segments of a matched route.
type params map[string]string

type handlerFunc func(w http.ResponseWriter, r *http.Request, p params)

type route struct {
	methods []string
	pattern []string // literal segments and {placeholders}
	handle  handlerFunc
}

// routeTable lists every endpoint the stand-in answers; the package doc's
// table lists the same. Any other path is refused as not supported.
func (s *Server) routeTable() []route {
	get, head, put, post, del := http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete
	rs := []struct {
		methods []string
		path    string
		h       handlerFunc
	}{
		{[]string{get, head}, "/", s.handleRoot},
		{[]string{post, put}, "/_bulk", s.handleBulk},
		{[]string{post, put}, "/{index}/_bulk", s.handleBulk},
		{[]string{get, post}, "/_search", s.handleSearch},
		{[]string{get, post}, "/{index}/_search", s.handleSearch},
		{[]string{get, post}, "/_count", s.handleCount},
		{[]string{get, post}, "/{index}/_count", s.handleCount},
		{[]string{get, post}, "/_refresh", s.handleRefresh},
		{[]string{get, post}, "/{index}/_refresh", s.handleRefresh},
		{[]string{get}, "/_cat/indices", s.handleCatIndices},
		{[]string{get}, "/_cat/indices/{index}", s.handleCatIndices},
		{[]string{get, head}, "/_index_template/{name}", s.handleGetTemplate},
		{[]string{put, post}, "/_index_template/{name}", s.handlePutTemplate},
		{[]string{del}, "/_index_template/{name}", s.handleDeleteTemplate},
		{[]string{get}, "/_ilm/policy/{name}", s.handleGetPolicy},
		{[]string{put}, "/_ilm/policy/{name}", s.handlePutPolicy},
		{[]string{put}, "/{index}", s.handleCreateIndex},
		{[]string{get, head}, "/{index}", s.handleGetIndex},
		{[]string{del}, "/{index}", s.handleDeleteIndex},
		{[]string{get, head}, "/{index}/_doc/{id}", s.handleGetDoc},
		{[]string{put, post}, "/{index}/_doc/{id}", s.handleIndexDoc},
	}
	out := make([]route, len(rs))
	for i, r := range rs {
		out[i] = route{methods: r.methods, pattern: splitPath(r.path), handle: r.h}
	}
	return out
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match binds a request path to a route pattern.
func match(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	p := params{}
	for i, pat := range pattern {
		seg := segs[i]
		switch {
		case pat == "{index}":
			// Paths starting with '_' are APIs, except the _all expression.
			if seg == "" || strings.HasPrefix(seg, "_") && seg != "_all" {
				return nil, false
			}
			p["index"] = seg
		case strings.HasPrefix(pat, "{"):
			if seg == "" {
				return nil, false
			}
			p[strings.Trim(pat, "{}")] = seg
		case pat != seg:
			return nil, false
		}
	}
	return p, true
}

// route dispatches a request to its handler.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	raw := splitPath(r.URL.EscapedPath())
	segs := make([]string, len(raw))
	for i, seg := range raw {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			s.writeError(w, r, badRequest("invalid path segment [%s]", seg))
			return
		}
		segs[i] = dec
	}
	var allowed []string
	for _, rt := range s.table {
		p, ok := match(rt.pattern, segs)
		if !ok {
			continue
		}
		if slices.Contains(rt.methods, r.Method) {
			rt.handle(w, r, p)
			return
		}
		allowed = append(allowed, rt.methods...)
	}
	if len(allowed) > 0 {
		slices.Sort(allowed)
		allowed = slices.Compact(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ","))
		s.writeError(w, r, failf(http.StatusMethodNotAllowed, "illegal_argument_exception",
			"Incorrect HTTP method for uri [%s] and method [%s], allowed: [%s]",
			r.URL.RequestURI(), r.Method, strings.Join(allowed, ", ")))
		return
	}
	s.writeError(w, r, unsupported("uri [%s] with method [%s]", r.URL.Path, r.Method))
}

// commonParams are the URL parameters every endpoint takes: they change
// only the rendering (filter_path is ignored, so answers are a superset).
var commonParams = []string{"pretty", "human", "error_trace", "filter_path", "format"}

// checkParams refuses a URL parameter the endpoint does not implement:
// routing, pipeline, require_alias, version_type, min_score and the like
// would change what a real cluster does, so they are never ignored.
func checkParams(r *http.Request, allowed ...string) *apiError {
	for k := range r.URL.Query() {
		if !slices.Contains(commonParams, k) && !slices.Contains(allowed, k) {
			return unsupported("parameter [%s] on [%s %s]", k, r.Method, r.URL.Path)
		}
	}
	return nil
}

// Identity of the single node. The version number carries a "-standin"
// suffix and the tagline says what this is, so nobody mistakes the
// stand-in for Elasticsearch in a log line or a curl session.
const (
	nodeID  = "esdev-standin-node-0"
	version = "7.17.0-standin"
	tagline = "esdev: an in-memory Elasticsearch-API stand-in for tests; not Elasticsearch"
)

// handleRoot serves GET / and HEAD / (olivere's ping).
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request, _ params) {
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"name": "esdev", "cluster_name": "esdev", "cluster_uuid": "esdev-standin-cluster",
		"version": map[string]any{
			"number": version, "build_flavor": "standin", "build_type": "esdev", "build_hash": "standin",
			"build_snapshot": false, "lucene_version": "none",
			"minimum_wire_compatibility_version": "6.8.0", "minimum_index_compatibility_version": "6.0.0-beta1",
		},
		"tagline": tagline,
	})
}
