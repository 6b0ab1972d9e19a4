package esdev

import (
	"cmp"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strings"
)

// dynamicTemplate is one entry of dynamic_templates: the mapping it gives
// new fields of a match_mapping_type ("" or "*": any). Other conditions
// (match, path_match, ...) are refused.
type dynamicTemplate struct {
	mappingType string
	mapping     map[string]any
}

func parseDynamicTemplates(raw any) ([]dynamicTemplate, *esError) {
	list, _ := raw.([]any)
	var out []dynamicTemplate
	for _, item := range list {
		obj, _ := item.(map[string]any)
		for _, v := range obj {
			def, _ := v.(map[string]any)
			m, ok := def["mapping"].(map[string]any)
			if !ok || len(obj) != 1 {
				return nil, newESError("mapper_parsing_exception", "a dynamic template must be a single named object with a mapping")
			}
			if aerr := allowKeys(def, "a dynamic template", "match_mapping_type", "mapping"); aerr != nil {
				return nil, aerr
			}
			mt, _ := def["match_mapping_type"].(string)
			out = append(out, dynamicTemplate{mt, m})
		}
	}
	return out, nil
}

// docParser checks one document against a mapping, collecting the fields
// dynamic mapping adds; they join the mapping only if the whole document
// fits, so a refused document changes nothing.
type docParser struct {
	m     *mapping
	id    string
	added map[string]*field
}

// applyDocument validates src against m and returns the mapping to keep:
// m itself, or an extended copy when the document added fields.
func applyDocument(m *mapping, id string, src map[string]any) (*mapping, *esError) {
	p := &docParser{m: m, id: id, added: map[string]*field{}}
	if err := p.object(src, ""); err != nil {
		return nil, err
	}
	if len(p.added) == 0 {
		return m, nil
	}
	c := &mapping{fields: maps.Clone(m.fields), dynTemplates: m.dynTemplates}
	maps.Copy(c.fields, p.added)
	return c, nil
}

func (p *docParser) object(obj map[string]any, path string) *esError {
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		parts := strings.Split(k, ".")
		if slices.Contains(parts, "") {
			return newESError("mapper_parsing_exception", "failed to parse").because(newESError("illegal_argument_exception",
				"object field starting or ending with a [.] makes object resolution ambiguous: [%s]", k))
		}
		v, full := any(obj[k]), joinPath(path, k)
		for i := len(parts) - 1; i > 0; i-- { // "a.b": 1 is {"a": {"b": 1}}
			v = map[string]any{parts[i]: v}
		}
		if len(parts) > 1 {
			full = joinPath(path, parts[0])
		}
		if err := p.value(v, full); err != nil {
			return err
		}
	}
	return nil
}

func (p *docParser) value(v any, path string) *esError {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		for _, e := range t {
			if err := p.value(e, path); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		f, err := p.child(path, "object")
		if err != nil {
			return err
		}
		if f.typ == "object" {
			return p.object(t, path)
		}
		return p.fieldErr(path, f, v, newESError("illegal_state_exception", "Can't get text on a START_OBJECT"))
	}
	f, err := p.child(path, p.detect(v))
	if err != nil {
		return err
	}
	if f.typ == "object" {
		return newESError("mapper_parsing_exception",
			"object mapping for [%s] tried to parse field [%s] as object, but found a concrete value", path, path[strings.LastIndex(path, ".")+1:])
	}
	if cause := checkValue(f, v); cause != nil {
		return p.fieldErr(path, f, v, cause)
	}
	return nil
}

// child returns the field at path, adding it by dynamic mapping (from the
// first matching dynamic template, else Elasticsearch's defaults: strings
// are text with a keyword multi-field, or date when they look like one).
func (p *docParser) child(path, kind string) (*field, *esError) {
	if f := cmp.Or(p.added[path], p.m.fields[path]); f != nil {
		return f, nil
	}
	def := map[string]any{"type": cmp.Or(map[string]string{"double": "float", "string": "text"}[kind], kind)}
	if kind == "string" {
		def["fields"] = map[string]any{"keyword": map[string]any{"type": "keyword", "ignore_above": json.Number("256")}}
	}
	for _, t := range p.m.dynTemplates {
		if t.mappingType == "" || t.mappingType == "*" || t.mappingType == kind {
			def = t.mapping
			break
		}
	}
	tmp := newMapping()
	if err := tmp.addProperties("", map[string]any{path: def}); err != nil {
		return nil, err
	}
	maps.Copy(p.added, tmp.fields)
	return tmp.fields[path], nil
}

// detect names the dynamic type of a scalar as match_mapping_type does,
// with date detection for strict_date_optional_time strings.
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
		if looksLikeDate(t) {
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

// integerRange bounds the integral types Elasticsearch range-checks.
var integerRange = map[string][2]float64{"long": {math.MinInt64, math.MaxInt64}, "integer": {math.MinInt32, math.MaxInt32}}

// checkValue reports why a scalar cannot be indexed into f, or nil. It
// follows Elasticsearch's default coercion: numeric strings fit numbers,
// "true"/"false" fit booleans, and any scalar fits text and keyword.
func checkValue(f *field, v any) *esError {
	switch {
	case isNumeric(f.typ):
		n, ok := toFloat(v)
		if _, isBool := v.(bool); !ok || isBool {
			return newESError("number_format_exception", "For input string: \"%s\"", scalarString(v))
		}
		if r, ok := integerRange[f.typ]; ok && (n < r[0] || n > r[1]) {
			return newESError("illegal_argument_exception", "Value [%s] is out of range for type [%s]", scalarString(v), f.typ)
		}
	case f.typ == "boolean":
		if _, ok := toBool(v); !ok && v != "" {
			return newESError("illegal_argument_exception",
				"Failed to parse value [%s] as only [true] or [false] are allowed.", scalarString(v))
		}
	case f.typ == "date":
		if _, isNum := v.(json.Number); isNum {
			return nil
		}
		if _, _, err := parseDate(scalarString(v)); err != nil {
			return newESError("illegal_argument_exception",
				"failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", scalarString(v))
		}
	}
	return nil
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
