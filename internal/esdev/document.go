package esdev

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// dynamicTemplate is one entry of a mapping's dynamic_templates: which new
// fields it catches and the mapping it gives them.
type dynamicTemplate struct {
	matchMappingType, match, unmatch, pathMatch string
	mapping                                     map[string]any
}

func parseDynamicTemplates(raw any) ([]dynamicTemplate, *esError) {
	list, ok := raw.([]any)
	if !ok {
		return nil, newESError("mapper_parsing_exception", "dynamic_templates must be an array of objects")
	}
	var out []dynamicTemplate
	for _, item := range list {
		obj, ok := item.(map[string]any)
		if !ok || len(obj) != 1 {
			return nil, newESError("mapper_parsing_exception", "a dynamic template must be an object with a single name")
		}
		for name, v := range obj {
			def, _ := v.(map[string]any)
			m, ok := def["mapping"].(map[string]any)
			if !ok {
				return nil, newESError("mapper_parsing_exception", "template [%s] must have a mapping", name)
			}
			str := func(k string) string { s, _ := def[k].(string); return s }
			out = append(out, dynamicTemplate{matchMappingType: str("match_mapping_type"), match: str("match"),
				unmatch: str("unmatch"), pathMatch: str("path_match"), mapping: m})
		}
	}
	return out, nil
}

// dynamicField returns the mapping for a new field, from the first
// matching dynamic template or Elasticsearch's default dynamic mapping.
// kind is the detected JSON type: string, date, long, double, boolean or
// object.
func (m *mapping) dynamicField(name, path, kind string) *field {
	for _, t := range m.dynamicTemplates {
		if t.matchMappingType != "" && t.matchMappingType != "*" && t.matchMappingType != kind ||
			t.match != "" && !globMatch(t.match, name) || t.unmatch != "" && globMatch(t.unmatch, name) ||
			t.pathMatch != "" && !globMatch(t.pathMatch, path) {
			continue
		}
		def := make(map[string]any, len(t.mapping))
		for k, v := range t.mapping {
			if s, ok := v.(string); ok {
				v = strings.NewReplacer("{dynamic_type}", defaultDynamicType(kind), "{name}", name).Replace(s)
			}
			def[k] = v
		}
		if f, err := parseField(name, def, false); err == nil {
			return f
		}
	}
	switch kind {
	case "object":
		return newObject()
	case "string":
		return &field{typ: "text", params: map[string]any{}, fields: map[string]*field{
			"keyword": {typ: "keyword", params: map[string]any{"ignore_above": json.Number("256")}},
		}}
	}
	return &field{typ: defaultDynamicType(kind), params: map[string]any{}}
}

func defaultDynamicType(kind string) string {
	switch kind {
	case "double":
		return "float"
	case "string":
		return "text"
	}
	return kind
}

// docParser checks one document against a mapping. In the first pass
// (grow false) it only reports whether dynamic fields must be added; the
// second pass runs on a clone and adds them, so a rejected document never
// changes the mapping.
type docParser struct {
	m    *mapping
	id   string
	grow bool
	grew bool
}

// applyDocument validates src against m and returns the mapping to keep:
// m itself, or an extended clone when the document added fields.
func applyDocument(m *mapping, id string, src map[string]any) (*mapping, *esError) {
	p := &docParser{m: m, id: id}
	if err := p.object(src, m.root, "", m.root.dynamic("true")); err != nil {
		return nil, err
	}
	if !p.grew {
		return m, nil
	}
	c := m.clone()
	p = &docParser{m: c, id: id, grow: true}
	if err := p.object(src, c.root, "", c.root.dynamic("true")); err != nil {
		return nil, err
	}
	return c, nil
}

func (p *docParser) object(obj map[string]any, parent *field, path, dyn string) *esError {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		parts := strings.Split(k, ".")
		if slices.Contains(parts, "") {
			return p.parseErr(newESError("illegal_argument_exception",
				"object field starting or ending with a [.] makes object resolution ambiguous: [%s]", k))
		}
		cur, curPath, curDyn := parent, path, dyn
		skip := false
		for _, part := range parts[:len(parts)-1] {
			child, err := p.child(cur, part, curPath, curDyn, "object")
			if err != nil {
				return err
			}
			curPath = joinPath(curPath, part)
			if child == nil || !child.enabled() {
				skip = true
				break
			}
			if !child.isObject() {
				return newESError("mapper_parsing_exception",
					"Could not dynamically add mapping for field [%s]. Existing mapping for [%s] must be of type object but found [%s].",
					joinPath(path, k), curPath, child.typ)
			}
			cur, curDyn = child, child.dynamic(curDyn)
		}
		if skip {
			continue
		}
		last := parts[len(parts)-1]
		if err := p.value(obj[k], cur, curPath, last, curDyn); err != nil {
			return err
		}
	}
	return nil
}

func (p *docParser) value(v any, parent *field, parentPath, name, dyn string) *esError {
	path := joinPath(parentPath, name)
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		for _, e := range t {
			if err := p.value(e, parent, parentPath, name, dyn); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		f, err := p.child(parent, name, parentPath, dyn, "object")
		if err != nil || f == nil || !f.enabled() {
			return err
		}
		if f.isObject() {
			return p.object(t, f, path, f.dynamic(dyn))
		}
		if f.flag("ignore_malformed") {
			return nil
		}
		return p.fieldErr(path, f, v, newESError("illegal_state_exception", "Can't get text on a START_OBJECT"))
	}
	f, err := p.child(parent, name, parentPath, dyn, p.detect(v))
	if err != nil || f == nil {
		return err
	}
	if f.isObject() {
		return newESError("mapper_parsing_exception",
			"object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, name)
	}
	if cause := checkValue(f, v); cause != nil && !f.flag("ignore_malformed") {
		return p.fieldErr(path, f, v, cause)
	}
	return nil
}

// child returns parent's field name, adding it under dynamic mapping. A
// nil field with a nil error means "not indexed" (dynamic: false).
func (p *docParser) child(parent *field, name, parentPath, dyn, kind string) (*field, *esError) {
	if f, ok := parent.props[name]; ok {
		return f, nil
	}
	switch dyn {
	case "strict":
		within := parentPath
		if within == "" {
			within = "_doc"
		}
		return nil, newESError("strict_dynamic_mapping_exception",
			"mapping set to strict, dynamic introduction of [%s] within [%s] is not allowed", name, within)
	case "false":
		return nil, nil
	}
	if !p.grow {
		p.grew = true
		return nil, nil
	}
	f := p.m.dynamicField(name, joinPath(parentPath, name), kind)
	parent.props[name] = f
	return f, nil
}

// detect names the dynamic type of a scalar as match_mapping_type does,
// including date detection for strict_date_optional_time strings.
func (p *docParser) detect(v any) string {
	switch t := v.(type) {
	case bool:
		return "boolean"
	case json.Number:
		if strings.ContainsAny(t.String(), ".eE") {
			return "double"
		}
		return "long"
	case string:
		if d, ok := toBool(p.m.root.params["date_detection"]); (!ok || d) && looksLikeDate(t) {
			return "date"
		}
	}
	return "string"
}

func (p *docParser) fieldErr(path string, f *field, v any, cause *esError) *esError {
	return newESError("mapper_parsing_exception",
		"failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		path, f.typ, p.id, scalarString(v)).because(cause)
}

func (p *docParser) parseErr(cause *esError) *esError {
	return newESError("mapper_parsing_exception", "failed to parse").because(cause)
}
