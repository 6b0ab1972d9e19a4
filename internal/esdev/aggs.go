package esdev

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// aggSpec is one parsed aggregation: terms (by doc count, then key) or
// date_histogram (fixed intervals, empty buckets left out), with
// sub-aggregations.
type aggSpec struct {
	name, kind, field string
	size              int
	interval          time.Duration // date_histogram fixed_interval
	sub               []*aggSpec
}

// aggOptions are the options each aggregation implements; any other is
// refused (include, exclude, order, calendar_interval, missing, ...).
var aggOptions = map[string][]string{"terms": {"field", "size"}, "date_histogram": {"field", "fixed_interval", "min_doc_count"}}

func parseAggs(v any) ([]*aggSpec, *esError) {
	obj, _ := v.(map[string]any)
	var out []*aggSpec
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		def, _ := obj[name].(map[string]any)
		a := &aggSpec{name: name, size: 10}
		for k, body := range def {
			o, _ := body.(map[string]any)
			var aerr *esError
			switch {
			case k == "aggs" || k == "aggregations":
				a.sub, aerr = parseAggs(body)
			case aggOptions[k] == nil:
				aerr = unsupported("the [%s] aggregation", k)
			case a.kind != "":
				aerr = badRequest("Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.kind, k)
			default:
				a.kind, a.field = k, scalarString(o["field"])
				aerr = allowKeys(o, "the ["+k+"] aggregation", aggOptions[k]...)
				if n, ok := toInt(o["size"]); ok {
					a.size = n
				}
				// Elasticsearch's default min_doc_count 0 fills empty buckets in.
				if n, _ := toInt(o["min_doc_count"]); k == "date_histogram" && aerr == nil && n != 1 {
					aerr = unsupported("[date_histogram] with a min_doc_count other than 1")
				}
				var err error
				if a.interval, err = time.ParseDuration(scalarString(o["fixed_interval"])); k == "date_histogram" && aerr == nil && (err != nil || a.interval <= 0) {
					aerr = badRequest("[date_histogram] needs a fixed_interval such as 1h, got [%v]", o["fixed_interval"])
				}
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

// runAggs checks the fields against the mappings, as Elasticsearch does
// (no aggregating on text, date_histogram on dates only), then computes
// the aggregations over hits.
func runAggs(idxs []*index, specs []*aggSpec, hits []hitRef) (map[string]any, *esError) {
	for _, a := range specs {
		typ, idx, aerr := docValueType(idxs, a.field)
		if aerr == nil && a.kind == "date_histogram" && typ != "" && typ != "date" {
			aerr = searchFailure(idx, newESError("illegal_argument_exception",
				"Field [%s] of type [%s] is not supported for aggregation [%s]", a.field, typ, a.kind))
		}
		if _, serr := runAggs(idxs, a.sub, nil); aerr != nil || serr != nil {
			return nil, cmp.Or(aerr, serr)
		}
	}
	out := make(map[string]any, len(specs))
	for _, a := range specs {
		out[a.name] = a.compute(hits)
	}
	return out, nil
}

// bucket is one terms or date_histogram bucket under construction.
type bucket struct {
	key  any // a string, a number, or epoch millis
	hits []hitRef
}

// compute groups hits by key (each hit once per distinct key it has), then
// renders terms buckets by doc count (ties by key) with sum_other_doc_count,
// or date_histogram buckets in key order.
func (a *aggSpec) compute(hits []hitRef) map[string]any {
	step := max(a.interval.Milliseconds(), 1)
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
				key = ms - (ms%step+step)%step
			} else if n, ok := toFloat(v); isNumeric(f.typ) && ok {
				key = n
			}
			if id := fmt.Sprint(key); !seen[id] {
				seen[id] = true
				byKey[id] = cmp.Or(byKey[id], &bucket{key: key})
				byKey[id].hits = append(byKey[id].hits, h)
			}
		}
	}
	list := slices.SortedFunc(maps.Values(byKey), func(x, y *bucket) int {
		if a.kind == "terms" {
			return cmp.Or(cmp.Compare(len(y.hits), len(x.hits)), compareKey(x.key, y.key))
		}
		return compareKey(x.key, y.key)
	})
	other := 0
	if a.kind == "terms" {
		for _, b := range list[min(a.size, len(list)):] {
			other += len(b.hits)
		}
		list = list[:min(a.size, len(list))]
	}
	buckets := []any{}
	for _, b := range list {
		m, _ := runAggs(nil, a.sub, b.hits)
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
