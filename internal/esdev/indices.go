package esdev

import (
	"cmp"
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
	body, aerr := readObjectBody(r)
	if e := validateIndexName(name); e != nil {
		aerr = fail(http.StatusBadRequest, e)
	}
	req := &template{}
	aerr = cmp.Or(cmp.Or(aerr, checkParams(r)), parseTemplateBody(req, body))
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
	if s.autoCreate == "true" || s.autoCreate == "false" {
		return s.autoCreate == "true"
	}
	for p := range strings.SplitSeq(s.autoCreate, ",") {
		if globMatch(strings.TrimLeft(p, "+-"), name) {
			return !strings.HasPrefix(p, "-")
		}
	}
	return false
}

// handleDeleteIndex serves DELETE /{index}; comma lists and wildcards are
// allowed, as with Elasticsearch 7's default action.destructive_requires_name.
func (s *Server) handleDeleteIndex(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names, aerr := s.resolveLocked(p["index"], r)
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
	names, aerr := s.resolveLocked(p["index"], r)
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
	if !ok || v == "-1" {
		return map[bool]time.Duration{true: -1, false: defaultRefresh}[ok], nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
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
