package esdev

import (
	"maps"
	"slices"
	"strings"
)

// query is a parsed query clause. bind resolves it against one index's
// mapping, because the same clause means different things on a text, a
// keyword, a long or a date field.
type query interface {
	bind(b *binder) (matcher, error)
}

type (
	matchAllQuery struct{}
	termQuery     struct {
		field  string
		values []any // term has one, terms several
	}
	matchQuery struct {
		field, text string
		and, phrase bool
	}
	rangeQuery struct {
		field            string
		gt, gte, lt, lte any // nil when absent
		format           string
	}
	existsQuery struct{ field string }
	// wildcardQuery matches '*' and '?' patterns (query_string only).
	wildcardQuery struct{ field, pattern string }
	boolQuery     struct {
		must, filter, should, mustNot []query
		minShould                     int // -1: Elasticsearch's default
	}
)

// parseQuery parses one query clause such as {"term": {"host": "a"}}.
// Queries the stand-in does not evaluate are refused, never ignored.
func parseQuery(v any) (query, *apiError) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, badRequest("[_na] query malformed, must start with start_object and hold a single query")
	}
	for name, body := range obj { // the only entry
		switch name {
		case "match_all":
			return matchAllQuery{}, nil
		case "bool":
			return parseBool(body)
		case "query_string":
			return parseQueryString(body)
		case "term", "terms", "match", "range", "exists":
			return parseLeaf(name, body)
		}
		return nil, unsupported("the [%s] query", name)
	}
	return nil, nil // unreachable: obj has one entry
}

// parseLeaf reads the {"field": value} or {"field": {"value": v, ...}}
// shape of leaf queries; exists names its field in {"field": "name"}.
func parseLeaf(name string, body any) (query, *apiError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("[%s] query malformed, no start_object after query name", name)
	}
	if name == "exists" {
		f, _ := obj["field"].(string)
		if f == "" || len(obj) != 1 {
			return nil, badRequest("[exists] must be provided with a [field] and nothing else")
		}
		return &existsQuery{field: f}, nil
	}
	if len(obj) != 1 {
		return nil, badRequest("[%s] query doesn't support multiple fields", name)
	}
	for field, val := range obj {
		opts, isObj := val.(map[string]any)
		if !isObj || name == "terms" {
			key := map[string]string{"term": "value", "terms": "terms", "match": "query", "range": "value"}[name]
			opts = map[string]any{key: val}
		}
		allowed := map[string][]string{"term": {"value"}, "terms": {"terms"}, "match": {"query", "operator"},
			"range": {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "format"}}[name]
		for k := range opts {
			if !slices.Contains(allowed, k) && k != "boost" {
				return nil, unsupported("[%s] in the [%s] query", k, name)
			}
		}
		switch name {
		case "term":
			return &termQuery{field: field, values: []any{opts["value"]}}, nil
		case "terms":
			vals, ok := val.([]any)
			if !ok {
				return nil, unsupported("the [terms] query without an array of values")
			}
			return &termQuery{field: field, values: vals}, nil
		case "match":
			op, _ := opts["operator"].(string)
			return &matchQuery{field: field, text: scalarString(opts["query"]), and: strings.EqualFold(op, "and")}, nil
		}
		return parseRange(field, opts)
	}
	return nil, nil // unreachable: obj has one entry
}

func parseBool(body any) (query, *apiError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, badRequest("[bool] query malformed, no start_object after query name")
	}
	q := &boolQuery{minShould: -1}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		v := obj[k]
		var dst *[]query
		switch k {
		case "must":
			dst = &q.must
		case "filter":
			dst = &q.filter
		case "should":
			dst = &q.should
		case "must_not":
			dst = &q.mustNot
		case "minimum_should_match":
			n, ok := toInt(v)
			if !ok {
				return nil, unsupported("minimum_should_match [%v] (only whole numbers are supported)", v)
			}
			q.minShould = n
			continue
		case "boost", "adjust_pure_negative":
			continue
		default:
			return nil, badRequest("[bool] query does not support [%s]", k)
		}
		clauses, isList := v.([]any)
		if !isList {
			clauses = []any{v}
		}
		for _, c := range clauses {
			sub, aerr := parseQuery(c)
			if aerr != nil {
				return nil, aerr
			}
			*dst = append(*dst, sub)
		}
	}
	return q, nil
}

// parseRange accepts gt/gte/lt/lte and the from/to/include_lower/
// include_upper form olivere's RangeQuery sends.
func parseRange(field string, opts map[string]any) (query, *apiError) {
	q := &rangeQuery{field: field}
	q.format, _ = opts["format"].(string)
	incl := func(k string) bool { b, ok := toBool(opts[k]); return !ok || b }
	for k, v := range opts {
		switch {
		case v == nil:
		case k == "gt":
			q.gt = v
		case k == "gte", k == "from" && incl("include_lower"):
			q.gte = v
		case k == "from":
			q.gt = v
		case k == "lt":
			q.lt = v
		case k == "lte", k == "to" && incl("include_upper"):
			q.lte = v
		case k == "to":
			q.lt = v
		}
	}
	return q, nil
}
