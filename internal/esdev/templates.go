package esdev

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// template is a composable index template (/_index_template). Only what
// index creation needs is interpreted; version and _meta are echoed back.
// Legacy templates (/_template) and component templates are not supported.
type template struct {
	name     string
	patterns []string
	priority int
	version  any
	meta     any
	settings map[string]string
	mapping  *mapping // nil when the template has no mappings
}

// templateForLocked returns what a new index named name starts from: the
// settings and mapping of the highest-priority matching template.
func (s *Server) templateForLocked(name string) (map[string]string, *mapping) {
	var best *template
	for _, t := range s.templates {
		if !slices.ContainsFunc(t.patterns, func(p string) bool { return globMatch(p, name) }) {
			continue
		}
		if best == nil || t.priority > best.priority || t.priority == best.priority && t.name < best.name {
			best = t
		}
	}
	settings, m := map[string]string{}, newMapping()
	if best != nil {
		for k, v := range best.settings {
			settings[k] = v
		}
		if best.mapping != nil {
			m.merge(best.mapping)
		}
	}
	return settings, m
}

// parseTemplateBody reads the settings/mappings pair shared by templates
// and create-index bodies, and checks the settings the stand-in reads.
func parseTemplateBody(t *template, body map[string]any) *apiError {
	for k, raw := range body {
		m, ok := raw.(map[string]any)
		switch {
		case k != "settings" && k != "mappings":
			return unsupported("[%s] in an index template", k)
		case !ok:
			return badRequest("[%s] must be an object", k)
		case k == "settings":
			t.settings = flattenSettings(m)
			if _, err := refreshInterval(t.settings); err != nil {
				return fail(http.StatusBadRequest, err)
			}
		default:
			mp, err := parseMapping(m)
			if err != nil {
				return fail(http.StatusBadRequest, err)
			}
			t.mapping = mp
		}
	}
	return nil
}

// handlePutTemplate serves PUT /_index_template/{name}.
func (s *Server) handlePutTemplate(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readObjectBody(r)
	if aerr == nil {
		aerr = checkParams(r)
	}
	if aerr == nil && body == nil {
		aerr = validationFailed("request body is required")
	}
	t := &template{name: p["name"], version: body["version"], meta: body["_meta"]}
	for k, v := range body {
		switch k {
		case "index_patterns":
			list, _ := v.([]any)
			for _, e := range list {
				t.patterns = append(t.patterns, scalarString(e))
			}
			if s, ok := v.(string); ok {
				t.patterns = strings.Split(s, ",")
			}
		case "priority":
			t.priority, _ = toInt(v)
		case "version", "_meta":
		case "template":
			inner, _ := v.(map[string]any)
			if aerr == nil {
				aerr = parseTemplateBody(t, inner)
			}
		case "composed_of":
			if l, _ := v.([]any); len(l) > 0 && aerr == nil {
				aerr = unsupported("component templates (composed_of)")
			}
		default:
			if aerr == nil {
				aerr = unsupported("[%s] in an index template", k)
			}
		}
	}
	if aerr == nil && len(t.patterns) == 0 {
		aerr = validationFailed("index patterns are missing")
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.Lock()
	s.templates[t.name] = t
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleGetTemplate serves GET and HEAD /_index_template/{name}; the name
// may be a comma list with wildcards.
func (s *Server) handleGetTemplate(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := []any{}
	for _, name := range slices.Sorted(maps.Keys(s.templates)) {
		t := s.templates[name]
		if !slices.ContainsFunc(strings.Split(p["name"], ","), func(pat string) bool { return globMatch(pat, name) }) {
			continue
		}
		inner := map[string]any{}
		if t.settings != nil {
			inner["settings"] = nestSettings(t.settings)
		}
		if t.mapping != nil {
			inner["mappings"] = t.mapping.render()
		}
		it := map[string]any{"index_patterns": t.patterns, "composed_of": []string{}, "template": inner, "priority": t.priority}
		if t.version != nil {
			it["version"] = t.version
		}
		if t.meta != nil {
			it["_meta"] = t.meta
		}
		list = append(list, map[string]any{"name": name, "index_template": it})
	}
	if len(list) == 0 && !strings.Contains(p["name"], "*") {
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"index template matching [%s] not found", p["name"]))
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"index_templates": list})
}

// handleDeleteTemplate serves DELETE /_index_template/{name}.
func (s *Server) handleDeleteTemplate(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.Lock()
	_, ok := s.templates[p["name"]]
	delete(s.templates, p["name"])
	s.mu.Unlock()
	if !ok {
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"index_template [%s] missing", p["name"]))
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handlePutPolicy serves PUT /_ilm/policy/{name}. Policies are stored and
// echoed, never executed: no rollover, no deletion by age.
func (s *Server) handlePutPolicy(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readObjectBody(r)
	if aerr == nil && body["policy"] == nil {
		aerr = failf(http.StatusBadRequest, "x_content_parse_exception",
			"[1:2] [put_lifecycle_request] failed to parse field [policy]: required")
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	raw, _ := json.Marshal(body["policy"])
	s.mu.Lock()
	s.policies[p["name"]] = raw
	s.mu.Unlock()
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

// handleGetPolicy serves GET /_ilm/policy/{name}.
func (s *Server) handleGetPolicy(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	raw, ok := s.policies[p["name"]]
	s.mu.RUnlock()
	if !ok {
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"Lifecycle policy not found: [%s]", p["name"]))
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{p["name"]: map[string]any{"version": 1, "policy": raw}})
}
