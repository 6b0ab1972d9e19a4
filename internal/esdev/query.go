package esdev

import "cmp"

// query is a parsed query clause. bind resolves it against one index's
// mapping, because the same clause means different things on a text, a
// keyword, a long or a date field.
type query interface {
	bind(b *binder) (matcher, error)
}

type (
	matchAllQuery struct{}
	termQuery     struct {
		field string
		value any
	}
	rangeQuery struct {
		field            string
		gt, gte, lt, lte any // nil when absent
	}
	boolQuery struct{ must, filter, should, mustNot []query }
)

// leafOptions are the options each leaf query implements; any other is
// refused. The short form {"field": value} reads as the first.
var leafOptions = map[string][]string{"term": {"value"},
	"range": {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper"}}

// parseQuery parses one query clause such as {"term": {"host": "a"}}.
// Queries the stand-in does not evaluate are refused, never ignored.
func parseQuery(v any) (query, *esError) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, badRequest("[_na] query malformed, must start with start_object and hold a single query")
	}
	for name, body := range obj { // the only entry
		fields, _ := body.(map[string]any)
		switch {
		case name == "match_all":
			return matchAllQuery{}, nil
		case name == "bool":
			return parseBool(fields)
		case name == "query_string":
			return parseQueryString(fields)
		case leafOptions[name] == nil:
			return nil, unsupported("the [%s] query", name)
		case len(fields) != 1:
			return nil, badRequest("[%s] query needs exactly one field", name)
		}
		for field, val := range fields {
			opts, isObj := val.(map[string]any)
			if !isObj {
				opts = map[string]any{leafOptions[name][0]: val}
			}
			if aerr := allowKeys(opts, "the ["+name+"] query", append(leafOptions[name], "boost")...); aerr != nil {
				return nil, aerr
			}
			incl := func(k string) bool { b, ok := toBool(opts[k]); return !ok || b }
			if name == "term" {
				return &termQuery{field, opts["value"]}, nil
			}
			q := &rangeQuery{field: field, gt: opts["gt"], gte: opts["gte"], lt: opts["lt"], lte: opts["lte"]}
			if v := opts["from"]; v != nil && incl("include_lower") { // olivere's RangeQuery form
				q.gte = v
			} else if v != nil {
				q.gt = v
			}
			if v := opts["to"]; v != nil && incl("include_upper") {
				q.lte = v
			} else if v != nil {
				q.lt = v
			}
			return q, nil
		}
	}
	return nil, nil // unreachable: obj has one entry
}

func parseBool(obj map[string]any) (query, *esError) {
	q := &boolQuery{}
	aerr := allowKeys(obj, "the [bool] query", "must", "filter", "should", "must_not", "boost", "adjust_pure_negative")
	for k, dst := range map[string]*[]query{"must": &q.must, "filter": &q.filter, "should": &q.should, "must_not": &q.mustNot} {
		clauses, isList := obj[k].([]any)
		if !isList && obj[k] != nil {
			clauses = []any{obj[k]}
		}
		for _, c := range clauses {
			sub, err := parseQuery(c)
			*dst, aerr = append(*dst, sub), cmp.Or(aerr, err)
		}
	}
	return q, aerr
}
