package esdev

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// aggSpec is one parsed aggregation: terms (ordered by doc count) or
// date_histogram (fixed intervals), with sub-aggregations.
type aggSpec struct {
	name, kind, field string
	size, minDocCount int
	interval          time.Duration // date_histogram fixed_interval
	sub               []*aggSpec
}

// aggOptions are the options each aggregation implements; any other is
// refused (include, exclude, order, calendar_interval, missing, ...).
var aggOptions = map[string][]string{
	"terms":          {"field", "size", "min_doc_count"},
	"date_histogram": {"field", "fixed_interval", "min_doc_count"},
}

func parseAggs(v any) ([]*aggSpec, *esError) {
	obj, _ := v.(map[string]any)
	var out []*aggSpec
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		def, _ := obj[name].(map[string]any)
		a := &aggSpec{name: name, size: 10}
		for k, body := range def {
			opts, _ := body.(map[string]any)
			var aerr *esError
			switch {
			case k == "aggs" || k == "aggregations":
				a.sub, aerr = parseAggs(body)
			case aggOptions[k] == nil:
				aerr = unsupported("the [%s] aggregation", k)
			case a.kind != "":
				aerr = badRequest("Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.kind, k)
			default:
				a.kind = k
				aerr = a.parseOptions(opts)
			}
			if aerr != nil {
				return nil, aerr
			}
		}
		if a.kind == "" {
			return nil, badRequest("Missing definition for aggregation [%s]", name)
		}
		out = append(out, a)
	}
	return out, nil
}

func (a *aggSpec) parseOptions(o map[string]any) *esError {
	for k := range o {
		if !slices.Contains(aggOptions[a.kind], k) {
			return unsupported("[%s] in the [%s] aggregation", k, a.kind)
		}
	}
	a.field = scalarString(o["field"])
	a.minDocCount = map[string]int{"terms": 1}[a.kind]
	if n, ok := toInt(o["min_doc_count"]); ok {
		a.minDocCount = n
	}
	if n, ok := toInt(o["size"]); ok {
		a.size = n
	}
	if a.kind == "date_histogram" {
		var err error
		if a.interval, err = time.ParseDuration(scalarString(o["fixed_interval"])); err != nil || a.interval <= 0 {
			return badRequest("[date_histogram] needs a fixed_interval such as 1h, got [%v]", o["fixed_interval"])
		}
	}
	return nil
}

// runAggs checks the fields against the mappings, as Elasticsearch does
// (no aggregating on text, date_histogram on dates only), then computes
// the aggregations over hits.
func runAggs(idxs []*index, specs []*aggSpec, hits []hitRef) (map[string]any, *esError) {
	var check func(specs []*aggSpec) *esError
	check = func(specs []*aggSpec) *esError {
		for _, a := range specs {
			typ, idx, aerr := docValueType(idxs, a.field)
			if aerr == nil && a.kind == "date_histogram" && typ != "" && typ != "date" {
				aerr = searchFailure(idx, newESError("illegal_argument_exception",
					"Field [%s] of type [%s] is not supported for aggregation [%s]", a.field, typ, a.kind))
			}
			if aerr = cmp.Or(aerr, check(a.sub)); aerr != nil {
				return aerr
			}
		}
		return nil
	}
	if aerr := check(specs); aerr != nil {
		return nil, aerr
	}
	return computeAggs(specs, hits), nil
}

func computeAggs(specs []*aggSpec, hits []hitRef) map[string]any {
	out := make(map[string]any, len(specs))
	for _, a := range specs {
		out[a.name] = a.compute(hits)
	}
	return out
}

// bucket is one terms or date_histogram bucket under construction.
type bucket struct {
	key  any // a string, a number, or epoch millis
	hits []hitRef
}

// compute groups hits by key (each hit once per distinct key it has), then
// renders terms buckets by doc count (ties by key) with sum_other_doc_count,
// or date_histogram buckets in key order, gaps filled when min_doc_count
// is 0, as Elasticsearch does.
func (a *aggSpec) compute(hits []hitRef) map[string]any {
	step := a.interval.Milliseconds()
	byKey := map[string]*bucket{}
	for _, h := range hits {
		f := h.idx.mapping.lookup(a.field)
		if f == nil {
			continue
		}
		seen := map[string]bool{}
		for _, v := range h.d.fields[f.src] {
			var key any = scalarString(v)
			if ms, ok := docMillis(v); f.typ == "date" && ok {
				key = ms - ((ms%max(step, 1))+max(step, 1))%max(step, 1)
			} else if n, ok := toFloat(v); isNumeric(f.typ) && ok {
				key = n
			}
			id := fmt.Sprint(key)
			if seen[id] {
				continue
			}
			seen[id] = true
			if byKey[id] == nil {
				byKey[id] = &bucket{key: key}
			}
			byKey[id].hits = append(byKey[id].hits, h)
		}
	}
	list := slices.SortedFunc(maps.Values(byKey), func(x, y *bucket) int {
		c := compareKey(x.key, y.key)
		if a.kind == "terms" {
			c = cmp.Or(cmp.Compare(len(y.hits), len(x.hits)), c)
		}
		return c
	})
	list = slices.DeleteFunc(list, func(b *bucket) bool { return len(b.hits) < a.minDocCount })
	if a.kind == "date_histogram" && a.minDocCount == 0 {
		for i := 1; i < len(list); i++ {
			if next := list[i-1].key.(int64) + step; next < list[i].key.(int64) {
				list = slices.Insert(list, i, &bucket{key: next})
			}
		}
	}
	other := 0
	if a.kind == "terms" {
		for _, b := range list[min(a.size, len(list)):] {
			other += len(b.hits)
		}
		list = list[:min(a.size, len(list))]
	}
	buckets := []any{}
	for _, b := range list {
		m := computeAggs(a.sub, b.hits)
		m["key"], m["doc_count"] = b.key, len(b.hits)
		if ms, ok := b.key.(int64); ok {
			m["key_as_string"] = formatDate(time.UnixMilli(ms))
		}
		buckets = append(buckets, m)
	}
	if a.kind == "terms" {
		return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}
	}
	return map[string]any{"buckets": buckets}
}
