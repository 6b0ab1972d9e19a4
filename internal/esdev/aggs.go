package esdev

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// aggSpec is one parsed aggregation: terms or date_histogram (fixed
// intervals), with sub-aggregations.
type aggSpec struct {
	name, kind, field string
	size, minDocCount int
	orderByKey        bool // terms: "_key" instead of "_count"
	orderAsc          bool
	interval          time.Duration // date_histogram fixed_interval
	sub               []*aggSpec
	typ               string // field type, resolved by runAggs
}

// aggOptions are the options each aggregation implements; any other is
// refused (include, exclude, calendar_interval, missing, script, ...).
var aggOptions = map[string][]string{
	"terms":          {"field", "size", "order", "min_doc_count"},
	"date_histogram": {"field", "fixed_interval", "min_doc_count"},
}

func parseAggs(v any) ([]*aggSpec, *apiError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, badRequest("[aggs] must be an object")
	}
	var out []*aggSpec
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		def, _ := obj[name].(map[string]any)
		a := &aggSpec{name: name, size: 10}
		for k, body := range def {
			if k == "aggs" || k == "aggregations" {
				sub, aerr := parseAggs(body)
				if aerr != nil {
					return nil, aerr
				}
				a.sub = sub
				continue
			}
			if _, ok := aggOptions[k]; !ok {
				return nil, unsupported("the [%s] aggregation", k)
			}
			if a.kind != "" {
				return nil, badRequest("Found two aggregation type definitions in [%s]: [%s] and [%s]", name, a.kind, k)
			}
			a.kind = k
			opts, _ := body.(map[string]any)
			if aerr := a.parseOptions(opts); aerr != nil {
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

func (a *aggSpec) parseOptions(o map[string]any) *apiError {
	for k := range o {
		if !slices.Contains(aggOptions[a.kind], k) {
			return unsupported("[%s] in the [%s] aggregation", k, a.kind)
		}
	}
	a.field, _ = o["field"].(string)
	if a.field == "" {
		return badRequest("Required one of fields [field, script], but none were specified. in [%s]", a.name)
	}
	a.minDocCount = map[string]int{"terms": 1, "date_histogram": 0}[a.kind]
	if n, ok := toInt(o["min_doc_count"]); ok {
		a.minDocCount = n
	}
	if a.kind == "date_histogram" {
		d, err := time.ParseDuration(scalarString(o["fixed_interval"]))
		if err != nil || d <= 0 {
			return badRequest("[date_histogram] needs a fixed_interval such as 1h, got [%v]", o["fixed_interval"])
		}
		a.interval = d
		return nil
	}
	if n, ok := toInt(o["size"]); ok {
		a.size = n
	}
	if o["order"] == nil {
		return nil
	}
	order, _ := o["order"].(map[string]any)
	if len(order) != 1 {
		return unsupported("terms order other than one of _count or _key")
	}
	for k, dir := range order {
		switch k {
		case "_count":
		case "_key":
			a.orderByKey = true
		default:
			return unsupported("terms order by [%s]", k)
		}
		a.orderAsc = strings.EqualFold(scalarString(dir), "asc")
	}
	return nil
}

// runAggs checks the fields against the mappings, as Elasticsearch does
// (no aggregating on text), then computes the aggregations over hits.
func (s *Server) runAggs(names []string, specs []*aggSpec, hits []hitRef) (map[string]any, *apiError) {
	if aerr := s.checkAggs(names, specs); aerr != nil {
		return nil, aerr
	}
	return computeAggs(specs, hits), nil
}

func (s *Server) checkAggs(names []string, specs []*aggSpec) *apiError {
	for _, a := range specs {
		for _, n := range names {
			idx := s.indices[n]
			f, _ := idx.mapping.lookup(a.field)
			switch {
			case f == nil:
			case f.typ == "text":
				return searchFailure(idx, fielddataError(a.field))
			case a.kind == "date_histogram" && f.typ != "date":
				return searchFailure(idx, newESError("illegal_argument_exception",
					"Field [%s] of type [%s] is not supported for aggregation [%s]", a.field, f.typ, a.kind))
			default:
				a.typ = f.typ
			}
		}
		if aerr := s.checkAggs(names, a.sub); aerr != nil {
			return aerr
		}
	}
	return nil
}

func computeAggs(specs []*aggSpec, hits []hitRef) map[string]any {
	out := make(map[string]any, len(specs))
	for _, a := range specs {
		if a.kind == "terms" {
			out[a.name] = a.terms(hits)
		} else {
			out[a.name] = map[string]any{"buckets": a.buckets(hits)}
		}
	}
	return out
}

// bucket is one terms or date_histogram bucket under construction.
type bucket struct {
	key  any
	sort float64 // numeric keys; string keys sort by fmt of key
	hits []hitRef
}

func (a *aggSpec) render(b *bucket) map[string]any {
	m := computeAggs(a.sub, b.hits)
	m["key"], m["doc_count"] = b.key, len(b.hits)
	if a.kind == "date_histogram" {
		m["key_as_string"] = formatDate(time.UnixMilli(b.key.(int64)))
	}
	return m
}

// group puts each hit into the buckets its values key.
func (a *aggSpec) group(hits []hitRef, key func(v any, f *field) (bucket, bool)) map[string]*bucket {
	byKey := map[string]*bucket{}
	for _, h := range hits {
		b := &binder{idx: h.idx}
		ref, ok := b.resolve(a.field)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		for _, v := range b.values(ref, h.d) {
			bk, ok := key(v, ref.f)
			id := fmt.Sprint(bk.key)
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if byKey[id] == nil {
				byKey[id] = &bk
			}
			byKey[id].hits = append(byKey[id].hits, h)
		}
	}
	return byKey
}

func (a *aggSpec) terms(hits []hitRef) map[string]any {
	byKey := a.group(hits, func(v any, f *field) (bucket, bool) {
		switch {
		case f.typ == "date":
			ms, ok := docMillis(f, v)
			return bucket{key: ms, sort: float64(ms)}, ok
		case isNumeric(f.typ):
			n, ok := toFloat(v)
			return bucket{key: n, sort: n}, ok
		}
		return bucket{key: scalarString(v)}, true
	})
	list := slices.Collect(maps.Values(byKey))
	list = slices.DeleteFunc(list, func(b *bucket) bool { return len(b.hits) < max(a.minDocCount, 1) })
	byKeyCmp := func(x, y *bucket) int {
		return cmp.Or(cmp.Compare(x.sort, y.sort), strings.Compare(fmt.Sprint(x.key), fmt.Sprint(y.key)))
	}
	slices.SortFunc(list, func(x, y *bucket) int {
		c := cmp.Compare(len(y.hits), len(x.hits)) // _count desc by default
		if a.orderByKey {
			c = byKeyCmp(y, x)
		}
		if a.orderAsc {
			c = -c
		}
		return cmp.Or(c, byKeyCmp(x, y))
	})
	other := 0
	for _, b := range list[min(a.size, len(list)):] {
		other += len(b.hits)
	}
	out := []any{}
	for _, b := range list[:min(a.size, len(list))] {
		out = append(out, a.render(b))
	}
	return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": out}
}

// buckets is date_histogram: keys are bucket starts in epoch millis, in
// order, with empty buckets between the first and last filled in when
// min_doc_count is 0, as Elasticsearch does.
func (a *aggSpec) buckets(hits []hitRef) []any {
	step := a.interval.Milliseconds()
	byKey := a.group(hits, func(v any, f *field) (bucket, bool) {
		ms, ok := docMillis(f, v)
		start := ms - ((ms%step)+step)%step
		return bucket{key: start, sort: float64(start)}, ok
	})
	list := slices.SortedFunc(maps.Values(byKey), func(x, y *bucket) int { return cmp.Compare(x.sort, y.sort) })
	out := []any{}
	for i, b := range list {
		if b.hits != nil && len(b.hits) < a.minDocCount {
			continue
		}
		out = append(out, a.render(b))
		if a.minDocCount == 0 && i+1 < len(list) {
			for k := b.key.(int64) + step; k < list[i+1].key.(int64); k += step {
				out = append(out, a.render(&bucket{key: k}))
			}
		}
	}
	return out
}
