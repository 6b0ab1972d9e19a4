package esdev

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strings"
)

// sortSpec is one entry of a search's "sort".
type sortSpec struct {
	field        string
	desc         bool
	missingFirst bool
	unmappedType string
	kind         string // set by sortHits: "number", "date", "string", "doc" or "score"
	integral     bool   // number values print as integers
}

func newSortSpec(field, order string) *sortSpec {
	sp := &sortSpec{field: field, desc: field == "_score"}
	if order != "" {
		sp.desc = strings.EqualFold(order, "desc")
	}
	return sp
}

// parseSorts reads "field", {"field": "desc"}, {"field": {"order": ...,
// "missing": "_first", "unmapped_type": ..., "mode": ...}} or a list.
func parseSorts(v any) ([]*sortSpec, *apiError) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	var out []*sortSpec
	for _, e := range list {
		switch t := e.(type) {
		case string:
			out = append(out, newSortSpec(t, ""))
		case map[string]any:
			for field, o := range t {
				switch ot := o.(type) {
				case string:
					out = append(out, newSortSpec(field, ot))
				case map[string]any:
					for k, v := range ot {
						if k != "order" && k != "unmapped_type" && (k != "missing" || v != "_first" && v != "_last") {
							return nil, unsupported("[%s: %v] in a sort", k, v)
						}
					}
					order, _ := ot["order"].(string)
					sp := newSortSpec(field, order)
					sp.missingFirst = ot["missing"] == "_first"
					sp.unmappedType, _ = ot["unmapped_type"].(string)
					out = append(out, sp)
				default:
					return nil, badRequest("[sort] malformed for field [%s]", field)
				}
			}
		default:
			return nil, badRequest("[sort] must be a string, an object or an array")
		}
	}
	return out, nil
}

// sortHits checks every sort field against the mappings, as Elasticsearch
// does (text fields and unmapped fields are errors), then sorts hits in
// place. Ties keep index-then-write order.
func (s *Server) sortHits(names []string, req *searchRequest, hits []hitRef) *apiError {
	for _, sp := range req.sorts {
		if aerr := s.classifySort(names, sp); aerr != nil {
			return aerr
		}
	}
	if len(req.sorts) == 0 {
		return nil
	}
	keys := make(map[*doc][]sortKey, len(hits))
	for _, h := range hits {
		keys[h.d] = sortKeys(req.sorts, h)
	}
	slices.SortStableFunc(hits, func(a, b hitRef) int { return compareKeys(req.sorts, keys[a.d], keys[b.d]) })
	return nil
}

func (s *Server) classifySort(names []string, sp *sortSpec) *apiError {
	switch sp.field {
	case "_doc", "_score":
		sp.kind = sp.field[1:]
		return nil
	}
	typ := sp.unmappedType
	for _, n := range names {
		idx := s.indices[n]
		f, _ := idx.mapping.lookup(sp.field)
		if f == nil {
			continue
		}
		if f.typ == "text" && !f.flag("fielddata") {
			return searchFailure(idx, fielddataError(sp.field))
		}
		typ = f.typ
	}
	if typ == "" {
		if len(names) == 0 {
			return nil
		}
		idx := s.indices[names[0]]
		return searchFailure(idx, newESError("query_shard_exception", "No mapping found for [%s] in order to sort on", sp.field))
	}
	switch {
	case isNumeric(typ) || typ == "boolean":
		sp.kind = "number"
		sp.integral = typ != "double" && typ != "float" && typ != "half_float" && typ != "scaled_float"
	case typ == "date":
		sp.kind, sp.integral = "date", true
	default:
		sp.kind = "string"
	}
	return nil
}

// fielddataError is Elasticsearch's refusal to sort or aggregate on text.
func fielddataError(field string) *esError {
	return newESError("illegal_argument_exception",
		"Text fields are not optimised for operations that require per-document field data like aggregations and sorting, "+
			"so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true "+
			"on [%s] in order to load field data by uninverting the inverted index. Note that this can use significant memory.", field)
}

// sortKey is one sort value of a hit.
type sortKey struct {
	num     float64
	str     string
	missing bool
}

func sortKeys(sorts []*sortSpec, h hitRef) []sortKey {
	out := make([]sortKey, len(sorts))
	for i, sp := range sorts {
		out[i] = sortKeyFor(sp, h)
	}
	return out
}

func sortKeyFor(sp *sortSpec, h hitRef) sortKey {
	switch sp.kind {
	case "doc":
		return sortKey{str: h.idx.name, num: float64(h.d.seqNo)}
	case "score":
		return sortKey{}
	}
	b := &binder{idx: h.idx}
	ref, ok := b.resolve(sp.field)
	if !ok {
		return sortKey{missing: true}
	}
	pickMax := sp.desc // Elasticsearch's default sort mode: min ascending, max descending
	var best sortKey
	found := false
	for _, v := range b.values(ref, h.d) {
		var k sortKey
		switch sp.kind {
		case "number":
			n, ok := toFloat(v)
			if bv, isBool := toBool(v); isBool {
				n, ok = map[bool]float64{true: 1, false: 0}[bv], true
			}
			if !ok {
				continue
			}
			k.num = n
		case "date":
			ms, ok := docMillis(ref.f, v)
			if !ok {
				continue
			}
			k.num = float64(ms)
		default:
			k.str = scalarString(v)
		}
		if !found || (compareKey(sp.kind, k, best) > 0) == pickMax {
			best, found = k, true
		}
	}
	if !found {
		return sortKey{missing: true}
	}
	return best
}

func compareKey(kind string, a, b sortKey) int {
	switch kind {
	case "string":
		return strings.Compare(a.str, b.str)
	case "doc":
		return cmp.Or(strings.Compare(a.str, b.str), cmp.Compare(a.num, b.num))
	}
	return cmp.Compare(a.num, b.num)
}

func compareKeys(sorts []*sortSpec, a, b []sortKey) int {
	for i, sp := range sorts {
		ka, kb := a[i], b[i]
		if ka.missing != kb.missing {
			if ka.missing == sp.missingFirst {
				return -1
			}
			return 1
		}
		if ka.missing {
			continue
		}
		c := compareKey(sp.kind, ka, kb)
		if sp.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// sortValues renders a hit's "sort" array as Elasticsearch does: integers
// for long and date fields (epoch millis), Long.MAX_VALUE / MIN_VALUE for
// missing numbers, null for missing strings.
func sortValues(sorts []*sortSpec, h hitRef) []any {
	out := make([]any, len(sorts))
	for i, sp := range sorts {
		k := sortKeyFor(sp, h)
		switch {
		case sp.kind == "doc":
			out[i] = h.d.seqNo
		case sp.kind == "score":
			out[i] = 1.0
		case sp.kind == "string" && k.missing:
			out[i] = nil
		case sp.kind == "string":
			out[i] = k.str
		case k.missing && sp.desc:
			out[i] = int64(math.MinInt64)
		case k.missing:
			out[i] = int64(math.MaxInt64)
		case sp.integral:
			out[i] = int64(k.num)
		default:
			out[i] = k.num
		}
	}
	return out
}

// applySearchAfter keeps the hits sorting strictly after the given values.
func applySearchAfter(req *searchRequest, hits []hitRef) ([]hitRef, *apiError) {
	if len(req.searchAfter) != len(req.sorts) {
		return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
			"search_after has %d value(s) but sort has %d.", len(req.searchAfter), len(req.sorts))
	}
	after := make([]sortKey, len(req.sorts))
	for i, sp := range req.sorts {
		v := req.searchAfter[i]
		switch {
		case v == nil:
			after[i].missing = true
		case sp.kind == "string":
			after[i].str = scalarString(v)
		default:
			n, _ := toFloat(v)
			if sp.integral && (n >= math.MaxInt64 || n <= math.MinInt64) {
				after[i].missing = true
			}
			after[i].num = n
		}
	}
	var out []hitRef
	for _, h := range hits {
		k := sortKeys(req.sorts, h)
		for i, sp := range req.sorts {
			if sp.kind == "doc" {
				k[i].str = "" // search_after on _doc compares the sequence number only
			}
		}
		if compareKeys(req.sorts, k, after) > 0 {
			out = append(out, h)
		}
	}
	return out, nil
}
