package esdev

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// policy is a stored ILM policy. The stand-in never runs a lifecycle: no
// rollover, no deletion by age. Policies are kept so that setup code that
// installs them works and reads them back.
type policy struct {
	version  int
	modified time.Time
	body     map[string]any // the "policy" object as given
}

func (s *Server) handlePutPolicy(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	pol, ok := body["policy"].(map[string]any)
	if !ok {
		s.writeError(w, r, failf(http.StatusBadRequest, "x_content_parse_exception",
			"[1:2] [put_lifecycle_request] failed to parse field [policy]: required"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	version := 1
	if old, ok := s.policies[p["name"]]; ok {
		version = old.version + 1
	}
	s.policies[p["name"]] = &policy{version: version, modified: time.Now().UTC(), body: pol}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (s *Server) handleGetPolicy(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]any)
	for name, pol := range s.policies {
		if p["name"] != "" && !slices.Contains(strings.Split(p["name"], ","), name) {
			continue
		}
		var users []string
		for _, idx := range s.indices {
			if idx.settings["index.lifecycle.name"] == name {
				users = append(users, idx.name)
			}
		}
		slices.Sort(users)
		out[name] = map[string]any{
			"version":       pol.version,
			"modified_date": pol.modified.Format("2006-01-02T15:04:05.000Z"),
			"policy":        pol.body,
			"in_use_by":     map[string]any{"indices": append([]string{}, users...), "data_streams": []string{}, "composable_templates": []string{}},
		}
	}
	if p["name"] != "" && len(out) == 0 {
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"Lifecycle policy not found: [%s]", p["name"]))
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) handleDeletePolicy(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.policies[p["name"]]; !ok {
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"Lifecycle policy not found: [%s]", p["name"]))
		return
	}
	delete(s.policies, p["name"])
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}
