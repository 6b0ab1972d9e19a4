package esdev

import (
	"maps"
	"slices"
	"strings"
)

// knownTypes are the field types a mapping may declare. Values are checked
// only for the common ones (see checkValue); the rest are accepted as
// declared so that production templates load unchanged.
var knownTypes = map[string]bool{
	"text": true, "keyword": true, "constant_keyword": true, "wildcard": true, "match_only_text": true,
	"long": true, "integer": true, "short": true, "byte": true, "unsigned_long": true,
	"double": true, "float": true, "half_float": true, "scaled_float": true,
	"boolean": true, "date": true, "date_nanos": true, "ip": true, "binary": true,
	"object": true, "nested": true, "flattened": true, "alias": true, "version": true,
	"geo_point": true, "geo_shape": true, "point": true, "shape": true, "histogram": true,
	"integer_range": true, "long_range": true, "float_range": true, "double_range": true,
	"date_range": true, "ip_range": true, "token_count": true, "search_as_you_type": true,
	"completion": true, "percolator": true, "join": true, "rank_feature": true,
	"rank_features": true, "dense_vector": true,
}

// textTypes are analysed: queries match their lower-cased tokens, and
// sorting or aggregating on them is refused as in Elasticsearch.
var textTypes = map[string]bool{"text": true, "match_only_text": true, "search_as_you_type": true}

// field is one node of an index mapping. Objects have typ "object" and
// children in props; leaves may carry multi-fields such as "keyword".
type field struct {
	typ    string
	props  map[string]*field
	fields map[string]*field
	params map[string]any // every other parameter, echoed back by GET _mapping
}

// mapping is the mapping of one index: a root object plus the root-only
// settings that steer dynamic mapping.
type mapping struct {
	root             *field
	dynamicTemplates []dynamicTemplate
}

func newObject() *field {
	return &field{typ: "object", props: make(map[string]*field), params: map[string]any{}}
}

func newMapping() *mapping { return &mapping{root: newObject()} }

func (f *field) isObject() bool { return f.typ == "object" || f.typ == "nested" }

// dynamic returns the object's own dynamic setting, or inherited.
func (f *field) dynamic(inherited string) string {
	switch v := f.params["dynamic"].(type) {
	case bool:
		return map[bool]string{true: "true", false: "false"}[v]
	case string:
		return v
	}
	return inherited
}

func (f *field) flag(name string) bool {
	b, _ := toBool(f.params[name])
	return b
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

// ignoreAbove is the keyword length above which values are not indexed.
func (f *field) ignoreAbove() int {
	n, ok := toInt(f.params["ignore_above"])
	if !ok {
		return 0
	}
	return n
}

// parseMapping reads a "mappings" object. A sole "_doc" wrapper (the
// include_type_name form) is unwrapped.
func parseMapping(def map[string]any) (*mapping, *esError) {
	if inner, ok := def["_doc"].(map[string]any); ok && len(def) == 1 {
		def = inner
	}
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
		return nil, newESError("mapper_parsing_exception",
			"Expected map for property [%s] but got a %s", name, jsonKind(raw))
	}
	f := &field{params: make(map[string]any)}
	typ, _ := def["type"].(string)
	if root || typ == "" {
		typ = "object"
	}
	if !knownTypes[typ] {
		return nil, newESError("mapper_parsing_exception", "No handler for type [%s] declared on field [%s]", typ, name)
	}
	f.typ = typ
	for k, v := range def {
		switch k {
		case "type": // read above
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
	if f.isObject() && f.props == nil {
		f.props = make(map[string]*field)
	}
	return f, nil
}

// render returns the field as GET _mapping shows it.
func (f *field) render() map[string]any {
	out := maps.Clone(f.params)
	if f.typ != "object" {
		out["type"] = f.typ
	}
	if len(f.props) > 0 {
		out["properties"] = renderChildren(f.props)
	}
	if len(f.fields) > 0 {
		out["fields"] = renderChildren(f.fields)
	}
	return out
}

func renderChildren(children map[string]*field) map[string]any {
	out := make(map[string]any, len(children))
	for k, c := range children {
		out[k] = c.render()
	}
	return out
}

func (m *mapping) render() map[string]any { return m.root.render() }

func (f *field) clone() *field {
	c := &field{typ: f.typ, params: maps.Clone(f.params)}
	if f.props != nil {
		c.props = make(map[string]*field, len(f.props))
		for k, v := range f.props {
			c.props[k] = v.clone()
		}
	}
	if f.fields != nil {
		c.fields = make(map[string]*field, len(f.fields))
		for k, v := range f.fields {
			c.fields[k] = v.clone()
		}
	}
	return c
}

func (m *mapping) clone() *mapping {
	return &mapping{root: m.root.clone(), dynamicTemplates: m.dynamicTemplates}
}

// merge folds src into m. With strict set (PUT _mapping) a changed field
// type is an error, as in Elasticsearch; otherwise (templates combined with
// a create-index body) the later definition wins.
func (m *mapping) merge(src *mapping, strict bool) *esError {
	if err := mergeField(m.root, src.root, "", strict); err != nil {
		return err
	}
	if src.dynamicTemplates != nil {
		m.dynamicTemplates = src.dynamicTemplates
	}
	return nil
}

func mergeField(dst, src *field, path string, strict bool) *esError {
	maps.Copy(dst.params, src.params)
	for name, sf := range src.props {
		p := joinPath(path, name)
		df, ok := dst.props[name]
		switch {
		case !ok:
			if dst.props == nil {
				dst.props = make(map[string]*field)
			}
			dst.props[name] = sf.clone()
		case df.typ != sf.typ && strict:
			return newESError("illegal_argument_exception",
				"mapper [%s] cannot be changed from type [%s] to [%s]", p, df.typ, sf.typ)
		case df.typ != sf.typ:
			dst.props[name] = sf.clone()
		default:
			if err := mergeField(df, sf, p, strict); err != nil {
				return err
			}
		}
	}
	for name, sf := range src.fields {
		if dst.fields == nil {
			dst.fields = make(map[string]*field)
		}
		dst.fields[name] = sf.clone()
	}
	return nil
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
// a query_string without a field (default_field "*") searches.
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
	slices.Sort(out)
	return out
}
