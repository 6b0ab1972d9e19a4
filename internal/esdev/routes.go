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

// routeTable lists every endpoint the stand-in answers. Everything else
// gets Elasticsearch's "no handler found" 400, never a silent 200.
func (s *Server) routeTable() []route {
	get, head, put, post, del := http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPost, http.MethodDelete
	tmpl := func(legacy bool, h func(http.ResponseWriter, *http.Request, params, bool)) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request, p params) { h(w, r, p, legacy) }
	}
	rs := []struct {
		methods []string
		path    string
		h       handlerFunc
	}{
		{[]string{get, head}, "/", s.handleRoot},
		{[]string{get}, "/_nodes", s.handleNodes},
		{[]string{get}, "/_nodes/{a}", s.handleNodes},
		{[]string{get}, "/_nodes/{a}/{b}", s.handleNodes},
		{[]string{get}, "/_cluster/health", s.handleHealth},
		{[]string{get}, "/_cluster/health/{index}", s.handleHealth},
		{[]string{post, put}, "/_bulk", s.handleBulk},
		{[]string{post, put}, "/{index}/_bulk", s.handleBulk},
		{[]string{get, post}, "/_search", s.handleSearch},
		{[]string{get, post}, "/{index}/_search", s.handleSearch},
		{[]string{get, post}, "/_count", s.handleCount},
		{[]string{get, post}, "/{index}/_count", s.handleCount},
		{[]string{get}, "/_cat/indices", s.handleCatIndices},
		{[]string{get}, "/_cat/indices/{index}", s.handleCatIndices},
		{[]string{get, post}, "/_refresh", s.handleRefresh},
		{[]string{get, post}, "/{index}/_refresh", s.handleRefresh},
		{[]string{get}, "/_mapping", s.handleGetMapping},
		{[]string{get}, "/{index}/_mapping", s.handleGetMapping},
		{[]string{get}, "/{index}/_mapping/{type}", s.handleGetMapping}, // typed form olivere sends (type "_all")
		{[]string{put, post}, "/{index}/_mapping", s.handlePutMapping},
		{[]string{get}, "/_settings", s.handleGetSettings},
		{[]string{get}, "/{index}/_settings", s.handleGetSettings},
		{[]string{get}, "/_index_template", tmpl(false, s.handleGetTemplate)},
		{[]string{get, head}, "/_index_template/{name}", tmpl(false, s.handleGetTemplate)},
		{[]string{put, post}, "/_index_template/{name}", tmpl(false, s.handlePutTemplate)},
		{[]string{del}, "/_index_template/{name}", tmpl(false, s.handleDeleteTemplate)},
		{[]string{get}, "/_template", tmpl(true, s.handleGetTemplate)},
		{[]string{get, head}, "/_template/{name}", tmpl(true, s.handleGetTemplate)},
		{[]string{put, post}, "/_template/{name}", tmpl(true, s.handlePutTemplate)},
		{[]string{del}, "/_template/{name}", tmpl(true, s.handleDeleteTemplate)},
		{[]string{get}, "/_ilm/policy", s.handleGetPolicy},
		{[]string{get}, "/_ilm/policy/{name}", s.handleGetPolicy},
		{[]string{put}, "/_ilm/policy/{name}", s.handlePutPolicy},
		{[]string{del}, "/_ilm/policy/{name}", s.handleDeletePolicy},
		{[]string{put}, "/{index}", s.handleCreateIndex},
		{[]string{get, head}, "/{index}", s.handleGetIndex},
		{[]string{del}, "/{index}", s.handleDeleteIndex},
		{[]string{get, head}, "/{index}/_doc/{id}", s.handleGetDoc},
		{[]string{put, post}, "/{index}/_doc/{id}", s.handleIndexDoc},
		{[]string{del}, "/{index}/_doc/{id}", s.handleDeleteDoc},
		{[]string{post}, "/{index}/_doc", s.handleIndexDoc},
		{[]string{put, post}, "/{index}/_create/{id}", s.handleIndexDoc},
		{[]string{post}, "/{index}/_update/{id}", s.handleUpdateDoc},
	}
	out := make([]route, len(rs))
	for i, r := range rs {
		out[i] = route{methods: r.methods, pattern: splitPath(r.path), handle: r.h}
	}
	return append(out, s.blockRoutes()...)
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
	s.writeError(w, r, failf(http.StatusBadRequest, "illegal_argument_exception",
		"no handler found for uri [%s] and method [%s]", r.URL.RequestURI(), r.Method))
}
