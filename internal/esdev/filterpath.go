package esdev

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// filterPath is a parsed ?filter_path: inclusive filters, each a list of
// field-name patterns, one per level of objects. Elasticsearch's rules
// (Common options, "Response Filtering"): filters are comma-separated; a
// level is a name or a pattern with * (any characters; globMatch); **
// matches any number of levels; arrays do not take a level — a filter
// applies to each element; a field whose last level matches is kept
// whole; what keeps nothing is dropped, and an answer that keeps nothing
// is {}. Error answers are never filtered. Exclusions ("-field") are
// refused: logpipe does not use them.
type filterPath [][]string

// filterPathOf reads r's filter_path; nil when it has none.
func filterPathOf(r *http.Request) (filterPath, *esError) {
	q := r.URL.Query()
	if !q.Has("filter_path") {
		return nil, nil
	}
	v := q.Get("filter_path")
	var fp filterPath
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "":
			continue
		case strings.HasPrefix(f, "-"):
			return nil, unsupported("exclusive filter_path [%s]", f)
		}
		fp = append(fp, strings.Split(f, "."))
	}
	return fp, nil
}

// apply filters a JSON answer. The answer goes through JSON once more, so
// that filtering sees what the client would (numbers kept as written).
func (fp filterPath) apply(body any) (any, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if out, ok := filterValue(v, fp); ok {
		return out, nil
	}
	return map[string]any{}, nil
}

// filterValue keeps what filters select in v (an object's fields; each
// element of an array); ok is false when nothing is kept.
func filterValue(v any, filters filterPath) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, fv := range v {
			whole, rest := stepFilters(k, filters)
			if whole {
				out[k] = fv
			} else if kept, ok := filterValue(fv, rest); ok {
				out[k] = kept
			}
		}
		return out, len(out) > 0
	case []any:
		var out []any
		for _, e := range v {
			if kept, ok := filterValue(e, filters); ok {
				out = append(out, kept)
			}
		}
		return out, len(out) > 0
	}
	return nil, false // a scalar below the last level of every filter
}

// stepFilters matches field name k against the first level of each filter:
// whole when a filter ends at k, else the filters that go on below k.
func stepFilters(k string, filters filterPath) (whole bool, rest filterPath) {
	for _, f := range filters {
		if len(f) == 0 {
			continue
		}
		if f[0] == "**" {
			// Zero levels: the filter's next level matches k; or k is
			// one of the levels ** spans.
			w, r := stepFilters(k, filterPath{f[1:]})
			whole = whole || w || len(f) == 1
			rest = append(rest, r...)
			rest = append(rest, f)
			continue
		}
		if !globMatch(f[0], k) {
			continue
		}
		if len(f) == 1 {
			whole = true
		} else {
			rest = append(rest, f[1:])
		}
	}
	return whole, rest
}
