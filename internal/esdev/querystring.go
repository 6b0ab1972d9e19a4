package esdev

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// The query_string mini-language, as far as the stand-in reads it: words
// and "phrases", field:value, '*' and '?' wildcards, AND, OR, NOT and
// parentheses. Juxtaposed clauses join with OR; AND binds tighter than OR.
// Unqualified terms search every field. Ranges ([a TO b], >=), _exists_,
// '+'/'-' prefixes, boosts, fuzziness and the options default_operator,
// default_field (df) and fields are refused.

func parseQueryString(body any) (query, *esError) {
	obj, _ := body.(map[string]any)
	text, ok := obj["query"].(string)
	if !ok {
		return nil, badRequest("[query_string] requires a [query] string")
	}
	if aerr := allowKeys(obj, "the [query_string] query", "query", "boost"); aerr != nil {
		return nil, aerr
	}
	return compileQueryString(text)
}

// compileQueryString parses text into a query tree.
func compileQueryString(text string) (query, *esError) {
	p := &qsParser{toks: qsToken.FindAllString(text, -1)}
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

// qsToken is a parenthesis or a word, in which a quoted phrase may hold
// blanks and parentheses (kept with its quotes).
var qsToken = regexp.MustCompile(`[()]|(?:"[^"]*"|[^\s()])+`)

type qsParser struct {
	toks []string
	pos  int
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
		conn := map[bool]string{true: "AND", false: "OR"}[p.peek() == "NOT"]
		if t := p.peek(); t == "AND" || t == "OR" {
			conn = t
			p.pos++
		}
		c, err := p.clause()
		if err != nil {
			return nil, err
		}
		if conn == "OR" && len(ands) > 0 {
			ors, ands = append(ors, &boolQuery{must: ands}), nil
		}
		ands = append(ands, c)
	}
	if len(ands) > 0 {
		ors = append(ors, &boolQuery{must: ands})
	}
	if len(ors) == 0 { // matches nothing
		return &boolQuery{mustNot: []query{matchAllQuery{}}}, nil
	}
	return &boolQuery{should: ors}, nil
}

// clause reads NOT clause, a parenthesised expression or [field:]value.
func (p *qsParser) clause() (query, error) {
	t := p.peek()
	p.pos++
	switch {
	case t == "NOT":
		inner, err := p.clause()
		return &boolQuery{mustNot: []query{inner}}, err
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
	build := func(f string) query { return &qsTermQuery{field: f, value: value, phrase: phrase} }
	if field != "" && !strings.Contains(field, "*") {
		return build(field), nil
	}
	return &fieldsQuery{pattern: cmp.Or(field, "*"), build: build}, nil
}

// qsTermQuery is one query_string term on one field.
type qsTermQuery struct {
	field, value string
	phrase       bool
}

// bind analyses the value like match on text fields (any of its tokens,
// or all in a row within one value for a "phrase") and matches it exactly
// like term elsewhere; with '*' or '?' it is a wildcard pattern, matched
// against the tokens of text (lower-cased, as query_string does) and the
// whole value otherwise.
func (q *qsTermQuery) bind(b *binder) (matcher, error) {
	f := b.idx.mapping.lookup(q.field)
	text, want := f != nil && f.typ == "text", analyze(q.value)
	wild := !q.phrase && strings.ContainsAny(q.value, "*?")
	if !text && !wild {
		return (&termQuery{q.field, q.value}).bind(b)
	}
	return b.anyValue(q.field, func(*field) (func(any) bool, error) {
		return func(x any) bool {
			toks := []string{scalarString(x)}
			if text {
				toks = analyze(toks[0])
			}
			switch {
			case wild:
				pat := map[bool]string{true: strings.ToLower(q.value), false: q.value}[text]
				return slices.ContainsFunc(toks, func(t string) bool { return globMatch(pat, t) })
			case !q.phrase:
				return slices.ContainsFunc(want, func(t string) bool { return slices.Contains(toks, t) })
			}
			for i := 0; i+len(want) <= len(toks); i++ {
				if slices.Equal(toks[i:i+len(want)], want) {
					return true
				}
			}
			return false
		}, nil
	})
}

// fieldsQuery expands a field pattern ("*", "host.*") against the index
// mapping at bind time and ORs one clause per field, skipping clauses that
// do not fit their field: the lenient search of many fields.
type fieldsQuery struct {
	pattern string
	build   func(field string) query
}

func (q *fieldsQuery) bind(b *binder) (matcher, error) {
	var ms []matcher
	for _, p := range b.idx.mapping.leafPaths() {
		if globMatch(q.pattern, p) {
			if m, err := q.build(p).bind(b); err == nil {
				ms = append(ms, m)
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
