package esdev

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// template is a composable (/_index_template) or legacy (/_template) index
// template. Only what index creation needs is interpreted; the rest is
// stored and echoed back.
type template struct {
	name     string
	patterns []string
	priority int // composable templates
	order    int // legacy templates
	version  any // echoed as given
	meta     any // composable "_meta", echoed as given
	settings map[string]string
	mapping  *mapping // nil when the template has no mappings
	aliases  map[string]any
}

func (t *template) matches(index string) bool {
	return slices.ContainsFunc(t.patterns, func(p string) bool { return globMatch(p, index) })
}

// templateForLocked returns what a new index named name starts from: the
// highest-priority matching composable template or, when none matches
// (Elasticsearch 7.8+ ignores legacy templates then), all matching legacy
// templates merged in ascending order.
func (s *Server) templateForLocked(name string) (map[string]string, *mapping, map[string]any) {
	var chosen []*template
	for _, t := range s.templates {
		if t.matches(name) && (len(chosen) == 0 || t.priority > chosen[0].priority ||
			t.priority == chosen[0].priority && t.name < chosen[0].name) {
			chosen = []*template{t}
		}
	}
	if len(chosen) == 0 {
		for _, t := range s.legacyTemplates {
			if t.matches(name) {
				chosen = append(chosen, t)
			}
		}
		slices.SortFunc(chosen, func(a, b *template) int {
			return cmp.Or(cmp.Compare(a.order, b.order), strings.Compare(a.name, b.name))
		})
	}
	settings, m, aliases := map[string]string{}, newMapping(), map[string]any{}
	for _, t := range chosen {
		maps.Copy(settings, t.settings)
		if t.mapping != nil {
			_ = m.merge(t.mapping, false) // non-strict merges cannot fail
		}
		maps.Copy(aliases, t.aliases)
	}
	return settings, m, aliases
}

// parseTemplateBody reads the settings/mappings/aliases triple shared by
// both template kinds and create-index bodies.
func parseTemplateBody(t *template, body map[string]any) *apiError {
	if raw, ok := body["settings"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return badRequest("[settings] must be an object")
		}
		t.settings = flattenSettings(m)
	}
	if raw, ok := body["mappings"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return badRequest("[mappings] must be an object")
		}
		mp, err := parseMapping(m)
		if err != nil {
			return fail(http.StatusBadRequest, err)
		}
		t.mapping = mp
	}
	if raw, ok := body["aliases"]; ok {
		m, ok := raw.(map[string]any)
		if !ok {
			return badRequest("[aliases] must be an object")
		}
		t.aliases = m
	}
	return nil
}

func parsePatterns(raw any) []string {
	switch v := raw.(type) {
	case string:
		return strings.Split(v, ",")
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// handlePutTemplate serves PUT /_index_template/{name} and, with legacy
// set, PUT /_template/{name}.
func (s *Server) handlePutTemplate(w http.ResponseWriter, r *http.Request, p params, legacy bool) {
	body, aerr := readObjectBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	if body == nil {
		s.writeError(w, r, failf(http.StatusBadRequest, "action_request_validation_exception",
			"Validation Failed: 1: request body is required;"))
		return
	}
	t := &template{name: p["name"], patterns: parsePatterns(body["index_patterns"]), version: body["version"]}
	inner := body
	if legacy {
		if t.patterns == nil {
			t.patterns = parsePatterns(body["template"])
		}
		t.order, _ = toInt(body["order"])
	} else {
		for k := range body {
			switch k {
			case "index_patterns", "template", "priority", "version", "_meta", "allow_auto_create":
			case "composed_of":
				if l, _ := body[k].([]any); len(l) > 0 {
					s.writeError(w, r, unsupported("component templates (composed_of)"))
					return
				}
			case "data_stream":
				s.writeError(w, r, unsupported("data streams (data_stream)"))
				return
			default:
				s.writeError(w, r, failf(http.StatusBadRequest, "x_content_parse_exception",
					"[1:2] [index_template] unknown field [%s]", k))
				return
			}
		}
		t.priority, _ = toInt(body["priority"])
		t.meta = body["_meta"]
		inner, _ = body["template"].(map[string]any)
	}
	if len(t.patterns) == 0 {
		s.writeError(w, r, failf(http.StatusBadRequest, "action_request_validation_exception",
			"Validation Failed: 1: index patterns are missing;"))
		return
	}
	if aerr := parseTemplateBody(t, inner); aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	store := s.templateStoreLocked(legacy)
	if _, exists := store[t.name]; exists && paramBool(r, "create", false) {
		s.writeError(w, r, failf(http.StatusBadRequest, "illegal_argument_exception",
			"index template [%s] already exists", t.name))
		return
	}
	store[t.name] = t
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (s *Server) templateStoreLocked(legacy bool) map[string]*template {
	if legacy {
		return s.legacyTemplates
	}
	return s.templates
}

// handleGetTemplate serves GET and HEAD of both template kinds; the name
// may be a comma list with wildcards, or absent for all.
func (s *Server) handleGetTemplate(w http.ResponseWriter, r *http.Request, p params, legacy bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	store := s.templateStoreLocked(legacy)
	var found []*template
	for _, t := range store {
		if p["name"] == "" || slices.ContainsFunc(strings.Split(p["name"], ","),
			func(pat string) bool { return globMatch(pat, t.name) }) {
			found = append(found, t)
		}
	}
	slices.SortFunc(found, func(a, b *template) int { return strings.Compare(a.name, b.name) })
	missing := len(found) == 0 && p["name"] != "" && !strings.Contains(p["name"], "*")
	switch {
	case missing && legacy:
		s.writeJSON(w, r, http.StatusNotFound, map[string]any{})
		return
	case missing:
		s.writeError(w, r, failf(http.StatusNotFound, "resource_not_found_exception",
			"index template matching [%s] not found", p["name"]))
		return
	}
	if legacy {
		out := make(map[string]any, len(found))
		for _, t := range found {
			out[t.name] = t.renderLegacy()
		}
		s.writeJSON(w, r, http.StatusOK, out)
		return
	}
	list := make([]any, 0, len(found))
	for _, t := range found {
		list = append(list, map[string]any{"name": t.name, "index_template": t.renderComposable()})
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"index_templates": list})
}

func (s *Server) handleDeleteTemplate(w http.ResponseWriter, r *http.Request, p params, legacy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	store := s.templateStoreLocked(legacy)
	if _, ok := store[p["name"]]; !ok {
		typ := "resource_not_found_exception"
		if legacy {
			typ = "index_template_missing_exception"
		}
		s.writeError(w, r, failf(http.StatusNotFound, typ, "index_template [%s] missing", p["name"]))
		return
	}
	delete(store, p["name"])
	s.writeJSON(w, r, http.StatusOK, map[string]any{"acknowledged": true})
}

func (t *template) renderInner() map[string]any {
	out := map[string]any{}
	if t.settings != nil {
		out["settings"] = nestSettings(t.settings)
	}
	if t.mapping != nil {
		out["mappings"] = t.mapping.render()
	}
	if t.aliases != nil {
		out["aliases"] = t.aliases
	}
	return out
}

func (t *template) renderComposable() map[string]any {
	out := map[string]any{"index_patterns": t.patterns, "composed_of": []string{}, "template": t.renderInner()}
	if t.priority != 0 {
		out["priority"] = t.priority
	}
	if t.version != nil {
		out["version"] = t.version
	}
	if t.meta != nil {
		out["_meta"] = t.meta
	}
	return out
}

func (t *template) renderLegacy() map[string]any {
	out := map[string]any{"order": t.order, "index_patterns": t.patterns,
		"settings": map[string]any{}, "mappings": map[string]any{}, "aliases": map[string]any{}}
	maps.Copy(out, t.renderInner())
	if t.version != nil {
		out["version"] = t.version
	}
	return out
}
