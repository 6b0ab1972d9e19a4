package esdev

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// template is a composable index template (/_index_template): what index
// creation needs, and the body as given, echoed by GET. Legacy (/_template)
// and component templates are not supported.
type template struct {
	name     string
	patterns []string
	priority int
	settings map[string]string
	mapping  *mapping // nil when the template has no mappings
	body     json.RawMessage
}

// templateForLocked returns what a new index named name starts from: the
// settings and mapping of the highest-priority matching template.
func (s *Server) templateForLocked(name string) (map[string]string, *mapping) {
	var best *template
	for _, t := range s.templates {
		if slices.ContainsFunc(t.patterns, func(p string) bool { return globMatch(p, name) }) &&
			(best == nil || t.priority > best.priority || t.priority == best.priority && t.name < best.name) {
			best = t
		}
	}
	settings, m := map[string]string{}, newMapping()
	if best != nil {
		maps.Copy(settings, best.settings)
		if best.mapping != nil {
			m.merge(best.mapping)
		}
	}
	return settings, m
}

// parseTemplateBody reads the settings/mappings pair shared by templates
// and create-index bodies, and checks the settings the stand-in reads.
func parseTemplateBody(t *template, body map[string]any) *esError {
	for k, raw := range body {
		m, ok := raw.(map[string]any)
		switch {
		case k != "settings" && k != "mappings":
			return unsupported("[%s] in an index template or create index body", k)
		case !ok:
			return badRequest("[%s] must be an object", k)
		case k == "settings":
			t.settings, _ = flattenSettings(m)
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
func (s *Server) handlePutTemplate(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	body, aerr := readObjectBody(r)
	t := &template{name: p["name"]}
	t.body, _ = json.Marshal(body)
	inner, _ := body["template"].(map[string]any)
	aerr = cmp.Or(aerr, allowKeys(body, "an index template", "index_patterns", "priority", "version", "_meta", "template"),
		parseTemplateBody(t, inner))
	list, _ := body["index_patterns"].([]any)
	for _, e := range list {
		t.patterns = append(t.patterns, scalarString(e))
	}
	t.priority, _ = toInt(body["priority"])
	if len(t.patterns) == 0 {
		aerr = cmp.Or(aerr, validationFailed("index patterns are missing"))
	}
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, o := range s.templates {
		if name != t.name && o.priority == t.priority && overlap(o.patterns, t.patterns) {
			return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
				"index template [%s] has index patterns %v matching patterns from existing templates [%s] with patterns (%s => %v) "+
					"that have the same priority [%d], multiple index templates may not match during index creation, "+
					"please use a different priority", t.name, t.patterns, name, name, o.patterns, t.priority)
		}
	}
	s.templates[t.name] = t
	return acknowledged, nil
}

// overlap reports whether some index name matches a pattern of a and one
// of b: one matches the other as a name, or both have wildcards and
// compatible literal prefixes and suffixes.
func overlap(a, b []string) bool {
	compatible := func(x, y string) bool { return strings.HasPrefix(x, y) || strings.HasPrefix(y, x) }
	rev := func(s string) string { r := []rune(s); slices.Reverse(r); return string(r) }
	for _, p := range a {
		for _, q := range b {
			pi, qi := strings.Index(p, "*"), strings.Index(q, "*")
			if globMatch(p, q) || globMatch(q, p) || pi >= 0 && qi >= 0 && compatible(p[:pi], q[:qi]) &&
				compatible(rev(p[strings.LastIndex(p, "*")+1:]), rev(q[strings.LastIndex(q, "*")+1:])) {
				return true
			}
		}
	}
	return false
}

// handleGetTemplate serves GET and HEAD /_index_template/{name}; the name
// may be a comma list with wildcards.
func (s *Server) handleGetTemplate(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	list := []any{}
	for name, t := range s.templates {
		if inList(p["name"], name) {
			list = append(list, map[string]any{"name": name, "index_template": t.body})
		}
	}
	if len(list) == 0 && !strings.Contains(p["name"], "*") {
		return nil, failf(http.StatusNotFound, "resource_not_found_exception", "index template matching [%s] not found", p["name"])
	}
	return map[string]any{"index_templates": list}, nil
}

// handlePutPolicy serves PUT /_ilm/policy/{name}. Policies are accepted
// and never run: no rollover, no deletion by age.
func (s *Server) handlePutPolicy(_ http.ResponseWriter, r *http.Request, _ params) (any, *esError) {
	body, aerr := readObjectBody(r)
	if aerr == nil && body["policy"] == nil {
		aerr = failf(http.StatusBadRequest, "x_content_parse_exception",
			"[1:2] [put_lifecycle_request] failed to parse field [policy]: required")
	}
	if aerr != nil {
		return nil, aerr
	}
	return acknowledged, nil
}
