package esdev

import (
	"maps"
	"slices"
	"strings"
)

// knownTypes are the field types the stand-in implements (see checkValue
// and equals); a mapping declaring another is refused.
var knownTypes = map[string]bool{
	"text": true, "keyword": true, "long": true, "integer": true, "short": true, "byte": true,
	"double": true, "float": true, "boolean": true, "date": true, "object": true,
}

// field is one node of an index mapping. Objects have typ "object" and
// children in props; leaves may carry multi-fields such as "keyword".
type field struct {
	typ    string
	props  map[string]*field
	fields map[string]*field
	params map[string]any // every other parameter, echoed back by GET /{index}
}

// mapping is the mapping of one index: a root object plus the
// dynamic_templates that steer dynamic mapping.
type mapping struct {
	root             *field
	dynamicTemplates []dynamicTemplate
}

func newObject() *field {
	return &field{typ: "object", props: make(map[string]*field), params: map[string]any{}}
}

func newMapping() *mapping { return &mapping{root: newObject()} }

func (f *field) isObject() bool { return f.typ == "object" }

// dynamic returns the object's own dynamic setting, or inherited.
func (f *field) dynamic(inherited string) string {
	if v, ok := f.params["dynamic"]; ok {
		return scalarString(v)
	}
	return inherited
}

// enabled is false for objects mapped with "enabled": false, whose
// contents Elasticsearch keeps in _source without parsing.
func (f *field) enabled() bool {
	b, ok := toBool(f.params["enabled"])
	return !ok || b
}

func (f *field) format() string {
	s, _ := f.params["format"].(string)
	return s
}

func (f *field) flag(name string) bool {
	b, _ := toBool(f.params[name])
	return b
}

// parseMapping reads a "mappings" object.
func parseMapping(def map[string]any) (*mapping, *esError) {
	root, err := parseField("_doc", def, true)
	if err != nil {
		return nil, err
	}
	m := &mapping{root: root}
	if raw, ok := root.params["dynamic_templates"]; ok {
		if m.dynamicTemplates, err = parseDynamicTemplates(raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func parseField(name string, raw any, root bool) (*field, *esError) {
	def, ok := raw.(map[string]any)
	if !ok {
		return nil, newESError("mapper_parsing_exception", "Expected map for property [%s] but got a %s", name, jsonKind(raw))
	}
	f := &field{params: make(map[string]any)}
	f.typ, _ = def["type"].(string)
	if root || f.typ == "" {
		f.typ = "object"
	}
	if !knownTypes[f.typ] {
		return nil, newESError("illegal_argument_exception", "field type [%s] (field [%s]) is %s", f.typ, name, notSupported)
	}
	for k, v := range def {
		switch k {
		case "type":
		case "properties", "fields":
			children, ok := v.(map[string]any)
			if !ok {
				return nil, newESError("mapper_parsing_exception", "[%s] on field [%s] must be an object", k, name)
			}
			dst := make(map[string]*field, len(children))
			for cn, cv := range children {
				c, err := parseField(cn, cv, false)
				if err != nil {
					return nil, err
				}
				dst[cn] = c
			}
			if k == "properties" {
				f.props = dst
			} else {
				f.fields = dst
			}
		default:
			f.params[k] = v
		}
	}
	if fm, ok := f.params["format"].(string); ok && f.typ == "date" {
		for part := range strings.SplitSeq(fm, "||") {
			if !slices.Contains(dateFormats, part) {
				return nil, newESError("illegal_argument_exception", "date format [%s] is %s", part, notSupported)
			}
		}
	}
	if f.isObject() && f.props == nil {
		f.props = make(map[string]*field)
	}
	return f, nil
}

// render returns the field as GET /{index} shows it.
func (f *field) render() map[string]any {
	out := maps.Clone(f.params)
	if f.typ != "object" {
		out["type"] = f.typ
	}
	for key, children := range map[string]map[string]*field{"properties": f.props, "fields": f.fields} {
		if len(children) > 0 {
			m := make(map[string]any, len(children))
			for k, c := range children {
				m[k] = c.render()
			}
			out[key] = m
		}
	}
	return out
}

func (m *mapping) render() map[string]any { return m.root.render() }

func (f *field) clone() *field {
	c := &field{typ: f.typ, params: maps.Clone(f.params), props: cloneFields(f.props), fields: cloneFields(f.fields)}
	return c
}

func cloneFields(in map[string]*field) map[string]*field {
	if in == nil {
		return nil
	}
	out := make(map[string]*field, len(in))
	for k, v := range in {
		out[k] = v.clone()
	}
	return out
}

func (m *mapping) clone() *mapping {
	return &mapping{root: m.root.clone(), dynamicTemplates: m.dynamicTemplates}
}

// merge folds src into m, the later definition winning: a template's
// mapping under a create-index body's.
func (m *mapping) merge(src *mapping) {
	mergeField(m.root, src.root)
	if src.dynamicTemplates != nil {
		m.dynamicTemplates = src.dynamicTemplates
	}
}

func mergeField(dst, src *field) {
	maps.Copy(dst.params, src.params)
	for name, sf := range src.props {
		if df, ok := dst.props[name]; ok && df.typ == sf.typ {
			mergeField(df, sf)
			continue
		}
		if dst.props == nil {
			dst.props = make(map[string]*field)
		}
		dst.props[name] = sf.clone()
	}
	for name, sf := range src.fields {
		if dst.fields == nil {
			dst.fields = make(map[string]*field)
		}
		dst.fields[name] = sf.clone()
	}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// lookup finds the mapped field for a dotted path such as "host.name" or
// the multi-field "message.keyword". It returns the field and the source
// path whose values it indexes (the parent's path for a multi-field).
func (m *mapping) lookup(path string) (*field, string) {
	f := m.root
	parts := strings.Split(path, ".")
	for i, part := range parts {
		if c, ok := f.props[part]; ok {
			f = c
			continue
		}
		if c, ok := f.fields[part]; ok && i == len(parts)-1 && i > 0 {
			return c, strings.Join(parts[:i], ".")
		}
		return nil, ""
	}
	if f == m.root {
		return nil, ""
	}
	return f, path
}

// leafPaths lists every searchable leaf field, multi-fields included: what
// a query_string without a field searches.
func (m *mapping) leafPaths() []string {
	var out []string
	var walk func(f *field, path string)
	walk = func(f *field, path string) {
		for name, c := range f.props {
			p := joinPath(path, name)
			if c.isObject() {
				walk(c, p)
				continue
			}
			out = append(out, p)
			for sub := range c.fields {
				out = append(out, p+"."+sub)
			}
		}
	}
	walk(m.root, "")
	return out
}

// fieldCount counts mapped fields as index.mapping.total_fields.limit
// does: objects, leaves and multi-fields alike.
func (f *field) fieldCount() int {
	n := len(f.fields)
	for _, c := range f.props {
		n += 1 + c.fieldCount()
	}
	return n
}

// checkLimit refuses a mapping grown past the index's total fields limit.
func (m *mapping) checkLimit(idx *index) *esError {
	if m.root.fieldCount() <= idx.fieldsLimit {
		return nil
	}
	return newESError("illegal_argument_exception",
		"Limit of total fields [%d] in index [%s] has been exceeded", idx.fieldsLimit, idx.name)
}
