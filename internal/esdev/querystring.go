package esdev

import (
	"fmt"
	"net/http"
	"strings"
)

// The query_string mini-language, as far as the stand-in reads it: words
// and "phrases", field:value, '*' and '?' wildcards, AND, OR, NOT and
// parentheses. Juxtaposed clauses join with default_operator (OR unless
// set); AND binds tighter than OR. Ranges ([a TO b], >=), _exists_, '+'/'-'
// prefixes, boosts and fuzziness are refused.

// qsOptions are the query_string parameters that affect matching.
type qsOptions struct {
	fields []string // where unqualified terms search; "*" is every field
	and    bool     // default_operator AND
}

func parseQueryString(body any) (query, *esError) {
	obj, _ := body.(map[string]any)
	text, ok := obj["query"].(string)
	if !ok {
		return nil, badRequest("[query_string] requires a [query] string")
	}
	opts := qsOptions{fields: []string{"*"}}
	for k, v := range obj {
		switch k {
		case "query", "boost":
		case "default_field":
			opts.fields = []string{scalarString(v)}
		case "default_operator":
			opts.and = strings.EqualFold(scalarString(v), "and")
		default:
			return nil, unsupported("[%s] in the [query_string] query", k)
		}
	}
	return compileQueryString(text, opts)
}

// compileQueryString parses text into a query tree.
func compileQueryString(text string, opts qsOptions) (query, *esError) {
	p := &qsParser{toks: qsTokens(text), opts: opts}
	q, err := p.expr()
	if err == nil && p.pos < len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	if err != nil {
		return nil, fail(http.StatusBadRequest, newESError("query_shard_exception", "Failed to parse query [%s]", text).
			because(newESError("parse_exception", "%v", err)))
	}
	return q, nil
}

// qsTokens splits text into parentheses, quoted phrases (kept with their
// quotes) and whitespace-separated words.
func qsTokens(text string) []string {
	var toks []string
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks, i = append(toks, text[i:i+1]), i+1
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\n()", rune(text[j])) {
				if text[j] == '"' {
					if k := strings.IndexByte(text[j+1:], '"'); k >= 0 {
						j += k + 1
					}
				}
				j++
			}
			toks, i = append(toks, text[i:j]), j
		}
	}
	return toks
}

type qsParser struct {
	toks []string
	pos  int
	opts qsOptions
}

func (p *qsParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

// expr reads clauses up to ')' or the end: an OR of ANDs.
func (p *qsParser) expr() (query, error) {
	var ors, ands []query
	for p.peek() != "" && p.peek() != ")" {
		// A negated clause joins with AND, as Lucene's "a NOT b" means a -b.
		conn := map[bool]string{true: "AND", false: "OR"}[p.opts.and || p.peek() == "NOT"]
		if t := p.peek(); t == "AND" || t == "OR" {
			conn = t
			p.pos++
		}
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		if conn == "OR" && len(ands) > 0 {
			ors, ands = append(ors, &boolQuery{must: ands, minShould: -1}), nil
		}
		ands = append(ands, c)
	}
	if len(ands) > 0 {
		ors = append(ors, &boolQuery{must: ands, minShould: -1})
	}
	if len(ors) == 0 { // matches nothing
		return &boolQuery{mustNot: []query{matchAllQuery{}}, minShould: -1}, nil
	}
	return &boolQuery{should: ors, minShould: -1}, nil
}

// clause reads NOT clause, a parenthesised expression or [field:]value.
func (p *qsParser) clause() (query, error) {
	t := p.peek()
	p.pos++
	switch {
	case t == "NOT":
		inner, err := p.clause()
		return &boolQuery{mustNot: []query{inner}, minShould: -1}, err
	case t == "(":
		q, err := p.expr()
		if err == nil && p.peek() != ")" {
			err = fmt.Errorf("missing ')'")
		}
		p.pos++
		return q, err
	case t == "" || t == ")" || t == "AND" || t == "OR":
		return nil, fmt.Errorf("missing clause before %q", t)
	case strings.ContainsAny(t[:1], "+-![{<>") || strings.ContainsAny(t, "~^") || strings.HasPrefix(t, "_exists_:"):
		return nil, fmt.Errorf("[%s]: ranges, +/- prefixes, fuzziness, boosts and _exists_ are %s", t, notSupported)
	}
	field, value, ok := strings.Cut(t, ":")
	if !ok || strings.HasPrefix(t, `"`) {
		field, value = "", t
	}
	if value == "" || strings.ContainsAny(value[:1], "[{<>") {
		return nil, fmt.Errorf("[%s]: ranges and comparisons are %s", t, notSupported)
	}
	if value == "*" && (field == "" || field == "*") {
		return matchAllQuery{}, nil
	}
	phrase := len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"'
	value = strings.Trim(value, `"`)
	build := func(f string) query { return &qsTermQuery{field: f, value: value, phrase: phrase, and: p.opts.and} }
	if field != "" && !strings.Contains(field, "*") {
		return build(field), nil
	}
	fields := p.opts.fields
	if field != "" {
		fields = []string{field}
	}
	return &fieldsQuery{fields: fields, build: build}, nil
}

// qsTermQuery is one query_string term on one field: analysed like match
// on text fields, exact like term elsewhere, wildcard when it has * or ?.
type qsTermQuery struct {
	field, value string
	phrase, and  bool
}

func (q *qsTermQuery) bind(b *binder) (matcher, error) {
	f := b.idx.mapping.lookup(q.field)
	switch {
	case f == nil:
		return none, nil
	case !q.phrase && strings.ContainsAny(q.value, "*?"):
		return (&wildcardQuery{field: q.field, pattern: q.value}).bind(b)
	case f.typ == "text":
		return (&matchQuery{field: q.field, text: q.value, phrase: q.phrase, and: q.and}).bind(b)
	}
	return (&termQuery{q.field, q.value}).bind(b)
}

// fieldsQuery expands field patterns ("*", "host.*") against the index
// mapping at bind time and ORs one clause per field, skipping clauses that
// do not fit their field: the lenient search of many fields.
type fieldsQuery struct {
	fields []string
	build  func(field string) query
}

func (q *fieldsQuery) bind(b *binder) (matcher, error) {
	var ms []matcher
	for _, pat := range q.fields {
		for _, p := range b.idx.mapping.leafPaths() {
			if globMatch(pat, p) {
				if m, err := q.build(p).bind(b); err == nil {
					ms = append(ms, m)
				}
			}
		}
	}
	return func(d *doc) bool {
		for _, m := range ms {
			if m(d) {
				return true
			}
		}
		return false
	}, nil
}
