package esdev

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleCreateIndex serves PUT /{index} with an optional body of settings
// and mappings, laid over the matching template.
func (s *Server) handleCreateIndex(w http.ResponseWriter, r *http.Request, p params) {
	name := p["index"]
	if e := validateIndexName(name); e != nil {
		s.writeError(w, r, fail(http.StatusBadRequest, e))
		return
	}
	body, aerr := readObjectBody(r)
	if aerr == nil {
		aerr = checkParams(r)
	}
	for k := range body {
		if aerr == nil && k != "settings" && k != "mappings" {
			aerr = unsupported("[%s] in a create index body", k)
		}
	}
	req := &template{}
	if aerr == nil {
		aerr = parseTemplateBody(req, body)
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx, ok := s.indices[name]; ok {
		s.writeError(w, r, fail(http.StatusBadRequest, newESError("resource_already_exists_exception",
			"index [%s/%s] already exists", name, idx.uuid).onIndex(name, idx.uuid)))
		return
	}
	settings, m := s.templateForLocked(name)
	maps.Copy(settings, req.settings)
	if req.mapping != nil {
		m.merge(req.mapping) // the request wins over the template
	}
	s.newIndexLocked(name, settings, m)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

// autoCreateLocked creates an index the way a write to a missing index
// does: from the matching template alone.
func (s *Server) autoCreateLocked(name string) *index {
	settings, m := s.templateForLocked(name)
	return s.newIndexLocked(name, settings, m)
}

// SetAutoCreate sets what Elasticsearch's action.auto_create_index cluster
// setting says: "true" (the default), "false", or a comma list of
// +pattern/-pattern, the first match deciding. A write to a missing index
// that may not be created fails with 404 index_not_found_exception.
func (s *Server) SetAutoCreate(value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.autoCreate = value
}

func (s *Server) autoCreateAllowedLocked(name string) bool {
	switch s.autoCreate {
	case "true", "":
		return true
	case "false":
		return false
	}
	for p := range strings.SplitSeq(s.autoCreate, ",") {
		allow := !strings.HasPrefix(p, "-")
		if globMatch(strings.TrimLeft(p, "+-"), name) {
			return allow
		}
	}
	return false
}

// handleGetIndex serves GET /{index} (settings and mappings) and HEAD
// /{index} (exists).
func (s *Server) handleGetIndex(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], resolveOptions{allowNoIndices: false})
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		idx := s.indices[n]
		out[n] = map[string]any{"aliases": map[string]any{}, "mappings": idx.mapping.render(), "settings": nestSettings(idx.settings)}
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleDeleteIndex serves DELETE /{index}; comma lists and wildcards are
// allowed, as with Elasticsearch 7's default action.destructive_requires_name.
func (s *Server) handleDeleteIndex(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	for _, n := range names {
		if t := s.indices[n].timer; t != nil {
			t.Stop()
		}
		close(s.indices[n].refreshed) // release ?refresh=wait_for requests
		delete(s.indices, n)
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleRefresh serves [/{index}]/_refresh: every write so far becomes
// searchable before the answer.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.Lock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	refreshed := map[string][]json.RawMessage{}
	total := 0
	for _, n := range names {
		refreshed[n] = s.refreshLocked(s.indices[n])
		total += 1 + s.indices[n].replicas()
	}
	s.mu.Unlock()
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	for n, srcs := range refreshed {
		s.notifyRefresh(n, srcs)
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"_shards": shardsInfo{Total: total, Successful: len(names)}})
}

// replicas is index.number_of_replicas; a single node never assigns them.
func (idx *index) replicas() int {
	n, _ := strconv.Atoi(idx.settings["index.number_of_replicas"])
	return n
}

// refreshInterval reads index.refresh_interval: a time value such as "1s"
// or "500ms", or "-1" for never.
func refreshInterval(settings map[string]string) (time.Duration, *esError) {
	v, ok := settings["index.refresh_interval"]
	switch {
	case !ok:
		return defaultRefresh, nil
	case v == "-1":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || strings.TrimLeft(v, "0123456789.") == "" {
		return 0, newESError("illegal_argument_exception",
			"failed to parse setting [index.refresh_interval] with value [%s] as a time value: unit is missing or unrecognized", v)
	}
	return d, nil
}

// flattenSettings turns index settings in any accepted shape — nested
// objects, dotted keys, with or without the "index." prefix, numbers or
// strings — into the flat "index.x.y" → string form Elasticsearch stores.
func flattenSettings(in map[string]any) map[string]string {
	out := make(map[string]string)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, c := range m {
				walk(joinPath(prefix, k), c)
			}
			return
		}
		if !strings.HasPrefix(prefix, "index.") {
			prefix = "index." + prefix
		}
		out[prefix] = scalarString(v)
	}
	walk("", in)
	return out
}

// nestSettings renders flat settings as nested objects, the default shape
// of GET responses.
func nestSettings(flat map[string]string) map[string]any {
	out := make(map[string]any)
	for k, v := range flat {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = make(map[string]any)
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}
