package esdev

import (
	"maps"
	"net/http"
)

// handleCreateIndex serves PUT /{index} with an optional body of settings,
// mappings and aliases, laid over the matching templates.
func (s *Server) handleCreateIndex(w http.ResponseWriter, r *http.Request, p params) {
	name := p["index"]
	if e := validateIndexName(name); e != nil {
		s.writeError(w, r, fail(http.StatusBadRequest, e))
		return
	}
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	for k := range body {
		if k != "settings" && k != "mappings" && k != "aliases" {
			s.writeError(w, r, badRequest("unknown key [%s] for create index", k))
			return
		}
	}
	req := &template{}
	if aerr := parseTemplateBody(req, body); aerr != nil {
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
	settings, m, aliases := s.templateForLocked(name)
	maps.Copy(settings, req.settings)
	if req.mapping != nil {
		_ = m.merge(req.mapping, false) // the request wins over templates
	}
	maps.Copy(aliases, req.aliases)
	s.newIndexLocked(name, settings, m, aliases)
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name})
}

// handleGetIndex serves GET /{index} and HEAD /{index} (index exists).
func (s *Server) handleGetIndex(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	opt := defaultResolve(r)
	opt.allowNoIndices = paramBool(r, "allow_no_indices", false)
	names, aerr := s.resolveLocked(p["index"], opt)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		idx := s.indices[n]
		out[n] = map[string]any{"aliases": idx.aliases, "mappings": idx.mapping.render(), "settings": nestSettings(idx.settings)}
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
		delete(s.indices, n)
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleGetMapping serves GET [/{index}]/_mapping.
func (s *Server) handleGetMapping(w http.ResponseWriter, r *http.Request, p params) {
	s.perIndex(w, r, p, func(idx *index) any { return map[string]any{"mappings": idx.mapping.render()} })
}

// handleGetSettings serves GET [/{index}]/_settings.
func (s *Server) handleGetSettings(w http.ResponseWriter, r *http.Request, p params) {
	s.perIndex(w, r, p, func(idx *index) any { return map[string]any{"settings": nestSettings(idx.settings)} })
}

func (s *Server) perIndex(w http.ResponseWriter, r *http.Request, p params, render func(*index) any) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = render(s.indices[n])
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handlePutMapping serves PUT /{index}/_mapping: new fields are added, and
// changing the type of an existing field is refused for every index.
func (s *Server) handlePutMapping(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	m, err := parseMapping(body)
	if err != nil {
		s.writeError(w, r, fail(http.StatusBadRequest, err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	merged := make([]*mapping, len(names))
	for i, n := range names {
		merged[i] = s.indices[n].mapping.clone()
		if err := merged[i].merge(m, true); err != nil {
			s.writeError(w, r, fail(http.StatusBadRequest, err))
			return
		}
	}
	for i, n := range names {
		s.indices[n].mapping = merged[i]
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleRefresh serves [/{index}]/_refresh. Writes are visible at once in
// the stand-in, so there is nothing to do beyond checking the indices.
func (s *Server) handleRefresh(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	s.mu.RUnlock()
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"_shards": shardsInfo{Total: len(names), Successful: len(names)}})
}
