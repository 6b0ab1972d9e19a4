package esdev

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBuckets is Elasticsearch's default search.max_buckets.
const maxBuckets = 65536

// aggSpec is one parsed aggregation: terms, date_histogram, or a metric
// (min, max, sum, avg, value_count, cardinality), with sub-aggregations
// under bucket aggregations.
type aggSpec struct {
	name, kind, field string
	size, minDocCount int
	orderByKey        bool // terms: "_key" instead of "_count"
	orderAsc          bool
	missing           any
	fixed             time.Duration // date_histogram fixed interval
	calendar          byte          // date_histogram calendar unit: m h d w M q y
	format            string
	loc               *time.Location
	extMin, extMax    any
	sub               []*aggSpec
	typ               string // field type, resolved by runAggs
}

var metricAggs = map[string]bool{"min": true, "max": true, "sum": true, "avg": true, "value_count": true, "cardinality": true}

func parseAggs(v any) ([]*aggSpec, *apiError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("[aggs] must be an object")
	}
	var out []*aggSpec
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		def, _ := obj[name].(map[string]any)
		a := &aggSpec{name: name, size: 10, minDocCount: -1, loc: time.UTC}
		for k, body := range def {
			switch k {
			case "aggs", "aggregations":
				sub, aerr := parseAggs(body)
				if aerr != nil {
					return nil, aerr
				}
				a.sub = sub
			case "meta":
			default:
				if a.kind != "" {
					return nil, badRequest("Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.kind, k)
				}
				a.kind = k
				opts, _ := body.(map[string]any)
				if aerr := a.parseOptions(opts); aerr != nil {
					return nil, aerr
				}
			}
		}
		if a.kind == "" {
			return nil, badRequest("Missing definition for aggregation [%s]", name)
		}
		if metricAggs[a.kind] && len(a.sub) > 0 {
			return nil, badRequest("Aggregator [%s] of type [%s] cannot accept sub-aggregations", name, a.kind)
		}
		out = append(out, a)
	}
	return out, nil
}

func (a *aggSpec) parseOptions(o map[string]any) *apiError {
	if _, ok := o["script"]; ok {
		return unsupported("aggregation scripts")
	}
	a.field, _ = o["field"].(string)
	if a.field == "" {
		return badRequest("Required one of fields [field, script], but none were specified. in [%s]", a.name)
	}
	a.missing = o["missing"]
	a.format, _ = o["format"].(string)
	if n, ok := toInt(o["min_doc_count"]); ok {
		a.minDocCount = n
	}
	switch {
	case a.kind == "terms":
		if n, ok := toInt(o["size"]); ok {
			a.size = n
		}
		return a.parseTermsOrder(o["order"])
	case a.kind == "date_histogram":
		return a.parseInterval(o)
	case metricAggs[a.kind]:
		return nil
	}
	switch a.kind {
	case "histogram", "range", "date_range", "filter", "filters", "top_hits", "percentiles", "stats",
		"extended_stats", "composite", "significant_terms", "nested", "missing", "auto_date_histogram":
		return unsupported("the [%s] aggregation", a.kind)
	}
	return badRequest("Unknown aggregation type [%s]", a.kind)
}

func (a *aggSpec) parseTermsOrder(v any) *apiError {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	if len(list) != 1 {
		return unsupported("terms order on more than one criterion")
	}
	obj, _ := list[0].(map[string]any)
	for k, dir := range obj {
		switch k {
		case "_count":
		case "_key", "_term":
			a.orderByKey = true
		default:
			return unsupported("terms order by [%s]", k)
		}
		a.orderAsc = strings.EqualFold(scalarString(dir), "asc")
	}
	return nil
}

// runAggs checks the fields against the mappings and computes the
// aggregations over docs (the query's matches).
func (s *Server) runAggs(names []string, specs []*aggSpec, docs []hitRef) (map[string]any, *apiError) {
	if aerr := s.resolveAggTypes(names, specs); aerr != nil {
		return nil, aerr
	}
	return computeAggs(specs, docs), nil
}

func (s *Server) resolveAggTypes(names []string, specs []*aggSpec) *apiError {
	for _, a := range specs {
		for _, n := range names {
			idx := s.indices[n]
			f, _ := idx.mapping.lookup(a.field)
			if f == nil {
				continue
			}
			a.typ = f.typ
			date := f.typ == "date" || f.typ == "date_nanos"
			switch {
			case textTypes[f.typ] && !f.flag("fielddata"):
				return searchFailure(idx, fielddataError(a.field))
			case a.kind == "date_histogram" && !date,
				slices.Contains([]string{"min", "max", "sum", "avg"}, a.kind) && !date && !isNumeric(f.typ):
				return searchFailure(idx, newESError("illegal_argument_exception",
					"Field [%s] of type [%s] is not supported for aggregation [%s]", a.field, f.typ, a.kind))
			}
		}
		if aerr := s.resolveAggTypes(names, a.sub); aerr != nil {
			return aerr
		}
	}
	return nil
}

func computeAggs(specs []*aggSpec, docs []hitRef) map[string]any {
	out := make(map[string]any, len(specs))
	for _, a := range specs {
		switch {
		case a.kind == "terms":
			out[a.name] = a.terms(docs)
		case a.kind == "date_histogram":
			out[a.name] = a.dateHistogram(docs)
		default:
			out[a.name] = a.metric(docs)
		}
	}
	return out
}

// values returns the field values of one hit, or the "missing" value.
func (a *aggSpec) values(h hitRef) []any {
	b := &binder{idx: h.idx}
	var vals []any
	if ref, ok := b.resolve(a.field); ok {
		vals = b.values(ref, h.d)
	}
	if len(vals) == 0 && a.missing != nil {
		vals = []any{a.missing}
	}
	return vals
}

// bucket is one terms or date_histogram bucket under construction.
type bucket struct {
	key   any
	str   string // key_as_string, when the key type prints one
	sort  float64
	label string // key compared as a string for keyword terms
	docs  []hitRef
}

func (a *aggSpec) render(b *bucket) map[string]any {
	m := computeAggs(a.sub, b.docs)
	m["key"], m["doc_count"] = b.key, len(b.docs)
	if b.str != "" {
		m["key_as_string"] = b.str
	}
	return m
}

// termKey turns a value into a terms bucket key for the field's type.
func (a *aggSpec) termKey(v any) (bucket, bool) {
	switch {
	case a.typ == "date" || a.typ == "date_nanos":
		ms, ok := docMillis(&field{params: map[string]any{}}, v)
		return bucket{key: ms, sort: float64(ms), str: formatDate(time.UnixMilli(ms).UTC(), a.format)}, ok
	case a.typ == "boolean":
		bv, ok := toBool(v)
		n := map[bool]int64{true: 1, false: 0}[bv]
		return bucket{key: n, sort: float64(n), str: strconv.FormatBool(bv)}, ok
	case isNumeric(a.typ):
		f, ok := toFloat(v)
		if a.typ == "double" || a.typ == "float" || a.typ == "half_float" || a.typ == "scaled_float" {
			return bucket{key: f, sort: f}, ok
		}
		return bucket{key: int64(f), sort: f}, ok
	}
	s := scalarString(v)
	return bucket{key: s, label: s}, true
}

func (a *aggSpec) terms(docs []hitRef) map[string]any {
	byKey := map[string]*bucket{}
	for _, h := range docs {
		seen := map[string]bool{}
		for _, v := range a.values(h) {
			b, ok := a.termKey(v)
			id := fmt.Sprint(b.key)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if byKey[id] == nil {
				byKey[id] = &b
			}
			byKey[id].docs = append(byKey[id].docs, h)
		}
	}
	list := make([]*bucket, 0, len(byKey))
	for _, b := range byKey {
		if len(b.docs) >= max(a.minDocCount, 1) {
			list = append(list, b)
		}
	}
	byKeyCmp := func(x, y *bucket) int { return cmp.Or(cmp.Compare(x.sort, y.sort), strings.Compare(x.label, y.label)) }
	slices.SortFunc(list, func(x, y *bucket) int {
		if a.orderByKey {
			if a.orderAsc {
				return byKeyCmp(x, y)
			}
			return byKeyCmp(y, x)
		}
		c := cmp.Compare(len(y.docs), len(x.docs))
		if a.orderAsc {
			c = -c
		}
		return cmp.Or(c, byKeyCmp(x, y))
	})
	other := 0
	if len(list) > a.size {
		for _, b := range list[a.size:] {
			other += len(b.docs)
		}
		list = list[:a.size]
	}
	out := make([]any, len(list))
	for i, b := range list {
		out[i] = a.render(b)
	}
	return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": out}
}

func (a *aggSpec) metric(docs []hitRef) map[string]any {
	date := a.typ == "date" || a.typ == "date_nanos"
	var nums []float64
	distinct := map[string]bool{}
	count := 0
	f := &field{params: map[string]any{}}
	for _, h := range docs {
		for _, v := range a.values(h) {
			count++
			distinct[scalarString(v)] = true
			if date {
				if ms, ok := docMillis(f, v); ok {
					nums = append(nums, float64(ms))
				}
			} else if n, ok := toFloat(v); ok {
				nums = append(nums, n)
			}
		}
	}
	var value any
	switch a.kind {
	case "value_count":
		return map[string]any{"value": count}
	case "cardinality":
		return map[string]any{"value": len(distinct)}
	case "sum":
		sum := 0.0
		for _, n := range nums {
			sum += n
		}
		return map[string]any{"value": sum}
	case "avg":
		if len(nums) > 0 {
			sum := 0.0
			for _, n := range nums {
				sum += n
			}
			value = sum / float64(len(nums))
		}
	case "min", "max":
		if len(nums) > 0 {
			if a.kind == "min" {
				value = slices.Min(nums)
			} else {
				value = slices.Max(nums)
			}
		}
	}
	out := map[string]any{"value": value}
	if v, ok := value.(float64); ok && date {
		out["value_as_string"] = formatDate(time.UnixMilli(int64(v)).In(a.loc), a.format)
	}
	return out
}
