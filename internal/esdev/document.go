package esdev

import (
	"encoding/json"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
)

// dynamicTemplate is one entry of a mapping's dynamic_templates: which new
// fields it catches and the mapping it gives them.
type dynamicTemplate struct {
	name                             string
	matchMappingType, match, unmatch string
	pathMatch, pathUnmatch           string
	mapping                          map[string]any
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
			out = append(out, dynamicTemplate{
				name: name, matchMappingType: str("match_mapping_type"), match: str("match"),
				unmatch: str("unmatch"), pathMatch: str("path_match"), pathUnmatch: str("path_unmatch"),
				mapping: m,
			})
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
			t.pathMatch != "" && !globMatch(t.pathMatch, path) || t.pathUnmatch != "" && globMatch(t.pathUnmatch, path) {
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
	case "false", "runtime":
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
		if n, _ := toBool(p.m.root.params["numeric_detection"]); n {
			if _, err := strconv.ParseInt(t, 10, 64); err == nil {
				return "long"
			}
			if _, err := strconv.ParseFloat(t, 64); err == nil {
				return "double"
			}
		}
	}
	return "string"
}

func (p *docParser) fieldErr(path string, f *field, v any, cause *esError) *esError {
	return newESError("mapper_parsing_exception",
		"failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'",
		path, f.typ, p.id, preview(v)).because(cause)
}

func (p *docParser) parseErr(cause *esError) *esError {
	return newESError("mapper_parsing_exception", "failed to parse").because(cause)
}

// checkValue reports why a scalar cannot be indexed into f, or nil. It
// follows Elasticsearch's default coercion: numeric strings fit numbers,
// "true"/"false" fit booleans, and anything scalar fits text and keyword.
func checkValue(f *field, v any) *esError {
	switch f.typ {
	case "long", "integer", "short", "byte", "unsigned_long", "double", "float", "half_float", "scaled_float":
		return checkNumber(f.typ, v)
	case "boolean":
		if _, ok := toBool(v); ok || v == "" {
			return nil
		}
		return newESError("illegal_argument_exception",
			"Failed to parse value [%s] as only [true] or [false] are allowed.", scalarString(v))
	case "date", "date_nanos":
		switch t := v.(type) {
		case json.Number:
			return nil
		case string:
			if _, err := parseDate(t, f.format(), nil); err == nil {
				return nil
			}
		}
		format := f.format()
		if format == "" {
			format = defaultDateFormat
		}
		return newESError("illegal_argument_exception",
			"failed to parse date field [%s] with format [%s]", scalarString(v), format)
	case "ip":
		if s, ok := v.(string); ok && net.ParseIP(s) != nil {
			return nil
		}
		return newESError("illegal_argument_exception", "'%s' is not an IP string literal.", scalarString(v))
	}
	return nil
}

// integerRange bounds the integral types Elasticsearch range-checks.
var integerRange = map[string][2]float64{
	"long":    {math.MinInt64, math.MaxInt64},
	"integer": {math.MinInt32, math.MaxInt32},
	"short":   {math.MinInt16, math.MaxInt16},
	"byte":    {math.MinInt8, math.MaxInt8},
}

func checkNumber(typ string, v any) *esError {
	var f float64
	switch t := v.(type) {
	case bool:
		return newESError("illegal_argument_exception",
			"Current token (VALUE_%s) not numeric, can not use numeric value accessors", strings.ToUpper(strconv.FormatBool(t)))
	case json.Number:
		f, _ = t.Float64()
	case string:
		n, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return newESError("number_format_exception", "For input string: \"%s\"", t)
		}
		f = n
	}
	if r, ok := integerRange[typ]; ok && (f < r[0] || f > r[1]) {
		return newESError("illegal_argument_exception", "Value [%s] is out of range for %s", scalarString(v), article(typ))
	}
	return nil
}

func article(typ string) string {
	if typ == "integer" {
		return "an integer"
	}
	return "a " + typ
}

// preview renders a value as Elasticsearch's error messages do, objects
// in Java's map notation.
func preview(v any) string {
	switch t := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			parts = append(parts, k+"="+preview(t[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = preview(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalarString(v)
}

// flatten maps every leaf path of a document to its values, arrays
// flattened and dotted keys expanded, which is how queries see fields.
func flatten(src map[string]any) map[string][]any {
	out := make(map[string][]any)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch t := v.(type) {
		case nil:
		case map[string]any:
			for k, c := range t {
				walk(c, joinPath(path, k))
			}
		case []any:
			for _, c := range t {
				walk(c, path)
			}
		default:
			out[path] = append(out[path], t)
		}
	}
	walk(src, "")
	return out
}
