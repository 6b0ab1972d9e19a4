package esdev

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strings"
)

// sortSpec is one entry of a search's "sort": a field (date, number,
// boolean or keyword; missing values last) or _doc (write order).
type sortSpec struct {
	field, unmappedType string
	desc                bool
	kind                string // set by sortHits: "number", "string" or "doc"
}

// parseSorts reads "field", {"field": "desc"}, {"field": {"order": ...,
// "unmapped_type": ...}} or a list of those.
func parseSorts(v any) ([]*sortSpec, *esError) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []*sortSpec
	for _, e := range list {
		if f, ok := e.(string); ok {
			e = map[string]any{f: "asc"}
		}
		obj, _ := e.(map[string]any)
		for field, o := range obj {
			opts, ok := o.(map[string]any)
			if !ok {
				opts = map[string]any{"order": o}
			}
			if aerr := allowKeys(opts, "a sort", "order", "unmapped_type"); aerr != nil {
				return nil, aerr
			}
			ut, _ := opts["unmapped_type"].(string)
			out = append(out, &sortSpec{field: field, unmappedType: ut, desc: strings.EqualFold(scalarString(opts["order"]), "desc")})
		}
	}
	return out, nil
}

// sortHits checks every sort field against the mappings, as Elasticsearch
// does (text fields and unmapped fields are errors), then sorts hits in
// place; ties keep index-then-write order.
func sortHits(idxs []*index, sorts []*sortSpec, hits []hitRef) *esError {
	for _, sp := range sorts {
		typ, _, aerr := docValueType(idxs, sp.field)
		switch typ = cmp.Or(typ, sp.unmappedType); {
		case aerr != nil:
			return aerr
		case sp.field == "_doc", typ == "keyword":
			sp.kind = map[bool]string{true: "doc", false: "string"}[sp.field == "_doc"]
		case typ == "" && len(idxs) > 0:
			return searchFailure(idxs[0], newESError("query_shard_exception", "No mapping found for [%s] in order to sort on", sp.field))
		default:
			sp.kind = "number"
		}
	}
	slices.SortStableFunc(hits, func(a, b hitRef) int { return compareKeys(sorts, sortKeys(sorts, a), sortKeys(sorts, b)) })
	return nil
}

// docValueType is the type of field in the first of idxs that maps it,
// with that index; "" when none does. Text fields have no doc values to
// sort or aggregate on: they fail the search, as in Elasticsearch.
func docValueType(idxs []*index, field string) (typ string, in *index, aerr *esError) {
	for _, idx := range idxs {
		switch f := idx.mapping.lookup(field); {
		case f != nil && f.typ == "text":
			return "", nil, searchFailure(idx, fielddataError(field))
		case f != nil && in == nil:
			typ, in = f.typ, idx
		}
	}
	return typ, in, nil
}

// fielddataError is Elasticsearch's refusal to sort or aggregate on text.
func fielddataError(field string) *esError {
	return newESError("illegal_argument_exception", "Text fields are not optimised for operations that require per-document "+
		"field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field "+
		"instead. Alternatively, set fielddata=true on [%s] in order to load field data by uninverting the inverted index. "+
		"Note that this can use significant memory.", field)
}

// sortKeys returns a hit's sort values: numbers (dates as epoch millis,
// booleans as 0/1, _doc as the write sequence), strings, or nil when the
// field is missing; several values sort by the least ascending, the
// greatest descending, as Elasticsearch does.
func sortKeys(sorts []*sortSpec, h hitRef) []any {
	out := make([]any, len(sorts))
	for i, sp := range sorts {
		if sp.kind == "doc" {
			out[i] = h.d.seqNo
			continue
		}
		f := h.idx.mapping.lookup(sp.field)
		if f == nil {
			continue
		}
		for _, v := range h.d.fields[f.src] {
			var k any = scalarString(v)
			if sp.kind == "number" {
				n, ok := docNumber(v)
				if ms, isDate := docMillis(v); f.typ == "date" {
					n, ok = float64(ms), isDate
				}
				if !ok {
					continue
				}
				k = int64(n)
				if n != math.Trunc(n) {
					k = n
				}
			}
			if out[i] == nil || (compareKey(k, out[i]) > 0) == sp.desc {
				out[i] = k
			}
		}
	}
	return out
}

// compareKey orders two sort or bucket keys: numbers (search_after's JSON
// numbers included) by value, strings as strings.
func compareKey(a, b any) int {
	x, xok := toFloat(a)
	y, yok := toFloat(b)
	_, as := a.(string)
	_, bs := b.(string)
	if xok && yok && !as && !bs {
		return cmp.Compare(x, y)
	}
	return strings.Compare(scalarString(a), scalarString(b))
}

// compareKeys orders two hits' sort values; missing values sort last.
func compareKeys(sorts []*sortSpec, a, b []any) int {
	for i, sp := range sorts {
		if (a[i] == nil) != (b[i] == nil) {
			return map[bool]int{true: 1, false: -1}[a[i] == nil]
		}
		if a[i] == nil {
			continue
		}
		if c := compareKey(a[i], b[i]); c != 0 {
			return map[bool]int{true: -c, false: c}[sp.desc]
		}
	}
	return 0
}

// applySearchAfter keeps the hits sorting strictly after the given values.
func applySearchAfter(sorts []*sortSpec, after []any, hits []hitRef) ([]hitRef, *esError) {
	if len(after) != len(sorts) {
		return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
			"search_after has %d value(s) but sort has %d.", len(after), len(sorts))
	}
	return slices.DeleteFunc(hits, func(h hitRef) bool { return compareKeys(sorts, sortKeys(sorts, h), after) <= 0 }), nil
}
