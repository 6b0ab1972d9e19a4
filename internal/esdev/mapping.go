package esdev

import (
	"maps"
	"slices"
)

// knownTypes are the field types the stand-in implements (see checkValue
// and equals); a mapping declaring another is refused.
var knownTypes = []string{"text", "keyword", "long", "integer", "double", "float", "boolean", "date", "object"}

// field is one mapped field, never changed once in a mapping.
type field struct {
	typ         string
	src         string // the path whose values it indexes: its own, or its parent's for a multi-field
	ignoreAbove int    // keyword values longer than this are not indexed; 0: no limit
}

// fieldParams are the mapping parameters the stand-in implements; any
// other (dynamic, enabled, ignore_malformed, format, fielddata, ...) is
// refused.
var fieldParams = []string{"type", "properties", "fields", "ignore_above"}

// mapping is the mapping of one index, flat: every field by its dotted
// path ("host.name"), objects and multi-fields ("message.keyword")
// included, so a field count is len(fields).
type mapping struct {
	fields       map[string]*field
	dynTemplates []dynamicTemplate
}

func newMapping() *mapping { return &mapping{fields: map[string]*field{}} }

// parseMapping reads a "mappings" object: properties and dynamic_templates.
func parseMapping(def map[string]any) (*mapping, *esError) {
	m := newMapping()
	for k, v := range def {
		var err *esError
		switch k {
		case "properties":
			err = m.addProperties("", v)
		case "dynamic_templates":
			m.dynTemplates, err = parseDynamicTemplates(v)
		default:
			err = newESError("illegal_argument_exception", "the mapping parameter [%s] is %s", k, notSupported)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// addProperties adds the fields of a "properties" object under prefix.
func (m *mapping) addProperties(prefix string, raw any) *esError {
	props, ok := raw.(map[string]any)
	if !ok {
		return newESError("mapper_parsing_exception", "[properties] must be an object")
	}
	for name, v := range props {
		path := joinPath(prefix, name)
		f, err := parseField(path, path, v)
		if err != nil {
			return err
		}
		m.fields[path] = f
		def := v.(map[string]any)
		if sub, ok := def["properties"]; ok {
			if err := m.addProperties(path, sub); err != nil {
				return err
			}
		}
		subs, _ := def["fields"].(map[string]any)
		for sn, sv := range subs {
			if m.fields[path+"."+sn], err = parseField(path+"."+sn, path, sv); err != nil {
				return err
			}
		}
	}
	return nil
}

func parseField(path, src string, raw any) (*field, *esError) {
	def, ok := raw.(map[string]any)
	if !ok {
		return nil, newESError("mapper_parsing_exception", "Expected map for property [%s] but got [%v]", path, raw)
	}
	for k := range def {
		if !slices.Contains(fieldParams, k) {
			return nil, newESError("illegal_argument_exception", "the mapping parameter [%s] (field [%s]) is %s", k, path, notSupported)
		}
	}
	f := &field{typ: "object", src: src}
	if t, ok := def["type"].(string); ok {
		f.typ = t
	}
	f.ignoreAbove, _ = toInt(def["ignore_above"])
	if !slices.Contains(knownTypes, f.typ) {
		return nil, newESError("illegal_argument_exception", "field type [%s] (field [%s]) is %s", f.typ, path, notSupported)
	}
	return f, nil
}

// merge folds src into m, the later definition winning: a template's
// mapping under a create-index body's.
func (m *mapping) merge(src *mapping) {
	maps.Copy(m.fields, src.fields)
	if src.dynTemplates != nil {
		m.dynTemplates = src.dynTemplates
	}
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// lookup finds the mapped field for a dotted path such as "host.name" or
// the multi-field "message.keyword".
func (m *mapping) lookup(path string) *field { return m.fields[path] }

// leafPaths lists every searchable field, multi-fields included: what a
// query_string without a field searches.
func (m *mapping) leafPaths() []string {
	var out []string
	for p, f := range m.fields {
		if f.typ != "object" {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// checkLimit refuses a mapping grown past index.mapping.total_fields.limit,
// which counts objects, fields and multi-fields alike.
func (m *mapping) checkLimit(idx *index) *esError {
	if len(m.fields) <= idx.fieldsLimit {
		return nil
	}
	return newESError("illegal_argument_exception",
		"Limit of total fields [%d] in index [%s] has been exceeded", idx.fieldsLimit, idx.name)
}
