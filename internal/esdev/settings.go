package esdev

import (
	"strings"
)

// flattenSettings turns index settings in any accepted shape — nested
// objects, dotted keys, with or without the "index." prefix, numbers or
// strings — into the flat "index.x.y" → string form Elasticsearch stores.
func flattenSettings(in map[string]any) map[string]string {
	out := make(map[string]string)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				walk(joinPath(prefix, k), c)
			}
		case []any:
			parts := make([]string, len(t))
			for i, e := range t {
				parts[i] = scalarString(e)
			}
			out[prefix] = strings.Join(parts, ",")
		case nil:
			delete(out, prefix)
		default:
			out[prefix] = scalarString(t)
		}
	}
	walk("", in)
	for k, v := range out {
		if !strings.HasPrefix(k, "index.") {
			delete(out, k)
			out["index."+k] = v
		}
	}
	return out
}

// nestSettings renders flat settings as nested objects, the default shape
// of GET responses.
func nestSettings(flat map[string]string) map[string]any {
	out := make(map[string]any)
	for k, v := range flat {
		parts := strings.Split(k, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = make(map[string]any)
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	return out
}
