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
	// scoring is false for pure filters, whose hits Elasticsearch scores 0.
	scoring() bool
}

type (
	matchAllQuery  struct{}
	matchNoneQuery struct{}
	termQuery      struct {
		field           string
		value           any
		caseInsensitive bool
	}
	termsQuery struct {
		field  string
		values []any
	}
	matchQuery struct {
		field, text string
		and, phrase bool
	}
	rangeQuery struct {
		field            string
		gt, gte, lt, lte any // nil when absent
		format, timeZone string
	}
	existsQuery struct{ field string }
	// patternQuery is prefix (wildcard false) or wildcard.
	patternQuery struct {
		field, pattern            string
		wildcard, caseInsensitive bool
	}
	idsQuery  struct{ ids []string }
	boolQuery struct {
		must, filter, should, mustNot []query
		minShould                     int // -1: Elasticsearch's default
	}
	// anyOfQuery matches when any clause matches, skipping clauses that do
	// not bind: how multi_match and query_string search several fields.
	anyOfQuery struct{ clauses []query }
)

// knownUnsupported are real Elasticsearch queries the stand-in does not
// evaluate; they get an explicit "not supported" instead of "unknown".
var knownUnsupported = []string{
	"nested", "has_child", "has_parent", "geo_distance", "geo_bounding_box", "geo_shape", "geo_polygon",
	"script", "script_score", "fuzzy", "regexp", "more_like_this", "function_score", "dis_max", "boosting",
	"intervals", "distance_feature", "percolate", "rank_feature", "wrapper", "pinned", "terms_set",
	"simple_query_string", "combined_fields", "match_bool_prefix", "match_phrase_prefix", "span_term",
	"span_near", "span_or", "span_not", "span_first", "span_multi", "span_containing", "span_within",
}

// parseQuery parses one query clause such as {"term": {"host": "a"}}.
func parseQuery(v any) (query, *apiError) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, badRequest("[_na] query malformed, must start with start_object and hold a single query")
	}
	for name, body := range obj { // the only entry
		return parseNamedQuery(name, body)
	}
	return nil, badRequest("[_na] query malformed, empty clause")
}

func parseNamedQuery(name string, body any) (query, *apiError) {
	switch name {
	case "match_all":
		return matchAllQuery{}, nil
	case "match_none":
		return matchNoneQuery{}, nil
	case "bool":
		return parseBool(body)
	case "constant_score":
		m, _ := body.(map[string]any)
		inner, aerr := parseQuery(m["filter"])
		if aerr != nil {
			return nil, aerr
		}
		return &boolQuery{must: []query{inner}, minShould: -1}, nil
	case "ids":
		m, _ := body.(map[string]any)
		vals, _ := m["values"].([]any)
		q := &idsQuery{}
		for _, v := range vals {
			q.ids = append(q.ids, scalarString(v))
		}
		return q, nil
	case "query_string":
		return parseQueryString(body)
	case "multi_match":
		return parseMultiMatch(body)
	}
	field, opts, aerr := fieldBody(name, body)
	if aerr != nil {
		return nil, aerr
	}
	switch name {
	case "term":
		ci, _ := toBool(opts["case_insensitive"])
		return &termQuery{field: field, value: opts["value"], caseInsensitive: ci}, nil
	case "terms":
		vals, ok := opts["value"].([]any)
		if !ok {
			return nil, badRequest("[terms] query does not support [%s] without an array of values", field)
		}
		return &termsQuery{field: field, values: vals}, nil
	case "match", "match_phrase":
		op, _ := opts["operator"].(string)
		return &matchQuery{field: field, text: scalarString(opts["query"]),
			and: strings.EqualFold(op, "and"), phrase: name == "match_phrase"}, nil
	case "range":
		return parseRange(field, opts)
	case "exists":
		return &existsQuery{field: field}, nil
	case "prefix", "wildcard":
		ci, _ := toBool(opts["case_insensitive"])
		pat := opts["value"]
		if w, ok := opts["wildcard"]; ok && pat == nil {
			pat = w
		}
		return &patternQuery{field: field, pattern: scalarString(pat), wildcard: name == "wildcard", caseInsensitive: ci}, nil
	}
	if slices.Contains(knownUnsupported, name) || strings.HasPrefix(name, "span_") {
		return nil, unsupported("the [%s] query", name)
	}
	return nil, badRequest("unknown query [%s]", name)
}

// fieldBody reads the {"field": value} or {"field": {"value": v, ...}}
// shape shared by leaf queries; the short form is returned under the
// query's main key. exists names its field in {"field": "name"}.
func fieldBody(name string, body any) (string, map[string]any, *apiError) {
	obj, ok := body.(map[string]any)
	if !ok {
		return "", nil, badRequest("[%s] query malformed, no start_object after query name", name)
	}
	if name == "exists" {
		f, _ := obj["field"].(string)
		if f == "" {
			return "", nil, badRequest("[exists] must be provided with a [field]")
		}
		return f, obj, nil
	}
	var field string
	var val any
	for k, v := range obj {
		if k == "boost" || k == "_name" {
			continue
		}
		if field != "" {
			return "", nil, badRequest("[%s] query doesn't support multiple fields, found [%s] and [%s]", name, field, k)
		}
		field, val = k, v
	}
	if field == "" {
		return "", nil, badRequest("[%s] query requires a field", name)
	}
	if m, ok := val.(map[string]any); ok && name != "terms" {
		return field, m, nil
	}
	main := map[string]string{"match": "query", "match_phrase": "query"}[name]
	if main == "" {
		main = "value"
	}
	return field, map[string]any{main: val}, nil
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
				return nil, unsupported("minimum_should_match [%v] (only whole numbers are)", v)
			}
			q.minShould = n
			continue
		case "boost", "_name", "adjust_pure_negative":
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
	q.timeZone, _ = opts["time_zone"].(string)
	incl := func(k string) bool { b, ok := toBool(opts[k]); return !ok || b }
	for k, v := range opts {
		switch k {
		case "gt":
			q.gt = v
		case "gte":
			q.gte = v
		case "lt":
			q.lt = v
		case "lte":
			q.lte = v
		case "from":
			if v != nil && incl("include_lower") {
				q.gte = v
			} else if v != nil {
				q.gt = v
			}
		case "to":
			if v != nil && incl("include_upper") {
				q.lte = v
			} else if v != nil {
				q.lt = v
			}
		case "format", "time_zone", "boost", "_name", "include_lower", "include_upper", "relation":
		default:
			return nil, badRequest("[range] query does not support [%s]", k)
		}
	}
	return q, nil
}

func parseMultiMatch(body any) (query, *apiError) {
	obj, _ := body.(map[string]any)
	text := scalarString(obj["query"])
	op, _ := obj["operator"].(string)
	typ, _ := obj["type"].(string)
	raw, _ := obj["fields"].([]any)
	fields := make([]string, 0, len(raw))
	for _, f := range raw {
		name, _, _ := strings.Cut(scalarString(f), "^") // boosts do not change matching
		fields = append(fields, name)
	}
	if len(fields) == 0 {
		fields = []string{"*"}
	}
	return &fieldsQuery{fields: fields, build: func(field string) query {
		return &matchQuery{field: field, text: text, and: strings.EqualFold(op, "and"), phrase: typ == "phrase"}
	}}, nil
}

// fieldsQuery expands field patterns ("*", "host.*") against the index
// mapping at bind time and ORs one clause per field, leniently.
type fieldsQuery struct {
	fields []string
	build  func(field string) query
}

func (q *fieldsQuery) scoring() bool { return true }

func (q *fieldsQuery) bind(b *binder) (matcher, error) {
	var clauses []query
	for _, pat := range q.fields {
		if !strings.Contains(pat, "*") {
			clauses = append(clauses, q.build(pat))
			continue
		}
		for _, p := range b.idx.mapping.leafPaths() {
			if globMatch(pat, p) {
				clauses = append(clauses, q.build(p))
			}
		}
	}
	return (&anyOfQuery{clauses: clauses}).bind(b)
}
