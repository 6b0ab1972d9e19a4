package esdev

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// The query_string mini-language, as far as the stand-in reads it: terms
// and "phrases", field:value, field:>=10, field:[a TO b], wildcards (* ?),
// _exists_:field, AND/OR/NOT (&& || !), +/- prefixes and parentheses.
// Juxtaposed clauses join with default_operator (OR unless set), except
// that a negated clause always joins with AND. AND binds tighter than OR.

// qsOptions are the query_string parameters that affect matching.
type qsOptions struct {
	fields  []string // where unqualified terms search; "*" is every field
	and     bool     // default_operator AND
	lenient bool
}

func parseQueryString(body any) (query, *apiError) {
	obj, ok := body.(map[string]any)
	text, isStr := obj["query"].(string)
	if !ok || !isStr {
		return nil, badRequest("[query_string] requires a [query] string")
	}
	opts := qsOptions{fields: []string{"*"}}
	if df, ok := obj["default_field"].(string); ok {
		opts.fields = []string{df}
	}
	if fs, ok := obj["fields"].([]any); ok && len(fs) > 0 {
		opts.fields = nil
		for _, f := range fs {
			name, _, _ := strings.Cut(scalarString(f), "^")
			opts.fields = append(opts.fields, name)
		}
	}
	op, _ := obj["default_operator"].(string)
	opts.and = strings.EqualFold(op, "and")
	opts.lenient, _ = toBool(obj["lenient"])
	return compileQueryString(text, opts)
}

// compileQueryString parses text into a query tree.
func compileQueryString(text string, opts qsOptions) (query, *apiError) {
	p := &qsParser{src: []rune(text), opts: opts}
	q, err := p.expr()
	if err == nil && p.pos < len(p.src) {
		err = fmt.Errorf("unexpected ')' at position %d", p.pos)
	}
	if err != nil {
		return nil, fail(http.StatusBadRequest, newESError("query_shard_exception", "Failed to parse query [%s]", text).
			because(newESError("parse_exception", "%v", err)))
	}
	return q, nil
}

type qsParser struct {
	src  []rune
	pos  int
	opts qsOptions
}

const (
	connDefault = iota
	connAnd
	connOr
)

func (p *qsParser) skipSpace() {
	for p.pos < len(p.src) && unicode.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

// operator consumes AND/OR/&&/|| if next, returning its connector.
func (p *qsParser) operator() int {
	p.skipSpace()
	rest := string(p.src[p.pos:])
	for _, op := range []struct {
		text string
		conn int
	}{{"AND", connAnd}, {"&&", connAnd}, {"OR", connOr}, {"||", connOr}} {
		if strings.HasPrefix(rest, op.text) && (len(rest) == len(op.text) || op.text[0] == '&' || op.text[0] == '|' ||
			unicode.IsSpace(rune(rest[len(op.text)])) || rest[len(op.text)] == '(') {
			p.pos += len(op.text)
			return op.conn
		}
	}
	return connDefault
}

func (p *qsParser) expr() (query, error) {
	var groups [][]query // OR of ANDs
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] == ')' {
			break
		}
		conn := p.operator()
		c, negated, err := p.clause()
		if err != nil {
			return nil, err
		}
		if conn == connDefault {
			conn = connOr
			if p.opts.and || negated {
				conn = connAnd
			}
		}
		if len(groups) == 0 || conn == connOr {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], c)
	}
	if len(groups) == 0 {
		return matchNoneQuery{}, nil
	}
	ors := make([]query, len(groups))
	for i, g := range groups {
		ors[i] = g[0]
		if len(g) > 1 {
			ors[i] = &boolQuery{must: g, minShould: -1}
		}
	}
	if len(ors) == 1 {
		return ors[0], nil
	}
	return &boolQuery{should: ors, minShould: -1}, nil
}

// clause reads one possibly negated term or parenthesised group.
func (p *qsParser) clause() (query, bool, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, false, fmt.Errorf("missing clause at end of query")
	}
	rest := string(p.src[p.pos:])
	switch {
	case strings.HasPrefix(rest, "NOT ") || rest[0] == '!' || rest[0] == '-':
		if rest[0] == 'N' {
			p.pos += 3
		} else {
			p.pos++
		}
		inner, _, err := p.clause()
		if err != nil {
			return nil, false, err
		}
		return &boolQuery{mustNot: []query{inner}, minShould: -1}, true, nil
	case rest[0] == '+':
		p.pos++
		return p.clause()
	case rest[0] == '(':
		p.pos++
		q, err := p.expr()
		if err != nil {
			return nil, false, err
		}
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, false, fmt.Errorf("missing ')'")
		}
		p.pos++
		return q, false, nil
	}
	t, err := p.term()
	if err != nil {
		return nil, false, err
	}
	return t, false, nil
}

// term reads [field:]value where value is a word, a "phrase", a range in
// brackets, or a comparison such as >=500.
func (p *qsParser) term() (query, error) {
	var field string
	var word strings.Builder
	for p.pos < len(p.src) {
		r := p.src[p.pos]
		switch {
		case r == '\\' && p.pos+1 < len(p.src):
			word.WriteRune(p.src[p.pos+1])
			p.pos += 2
			continue
		case unicode.IsSpace(r) || r == '(' || r == ')':
			return p.leaf(field, word.String(), false)
		case r == '"':
			phrase, err := p.until('"')
			if err != nil {
				return nil, err
			}
			return p.leaf(field, phrase, true)
		case r == ':' && field == "":
			field = word.String()
			word.Reset()
			p.pos++
			if p.pos < len(p.src) && (p.src[p.pos] == '[' || p.src[p.pos] == '{') {
				return p.bracketRange(field)
			}
			if p.pos < len(p.src) && p.src[p.pos] == '(' {
				return nil, fmt.Errorf("field groups such as %s:(a b) are not supported by the esdev stand-in", field)
			}
			continue
		}
		word.WriteRune(r)
		p.pos++
	}
	return p.leaf(field, word.String(), false)
}

// until reads a quoted run up to the closing delimiter.
func (p *qsParser) until(end rune) (string, error) {
	start := p.pos + 1
	for i := start; i < len(p.src); i++ {
		if p.src[i] == '\\' {
			i++
			continue
		}
		if p.src[i] == end {
			p.pos = i + 1
			return strings.ReplaceAll(string(p.src[start:i]), `\`, ""), nil
		}
	}
	return "", fmt.Errorf("unterminated %q", end)
}

func (p *qsParser) bracketRange(field string) (query, error) {
	open := p.src[p.pos]
	j := p.pos + 1
	for j < len(p.src) && p.src[j] != ']' && p.src[j] != '}' {
		j++
	}
	if j >= len(p.src) {
		return nil, fmt.Errorf("unterminated range for field [%s]", field)
	}
	closeIncl := p.src[j] == ']'
	lo, hi, ok := strings.Cut(string(p.src[p.pos+1:j]), " TO ")
	if !ok {
		return nil, fmt.Errorf("range for field [%s] must be [from TO to]", field)
	}
	p.pos = j + 1
	q := &rangeQuery{field: field}
	if lo = strings.TrimSpace(lo); lo != "*" {
		if open == '[' {
			q.gte = lo
		} else {
			q.gt = lo
		}
	}
	if hi = strings.TrimSpace(hi); hi != "*" {
		if closeIncl {
			q.lte = hi
		} else {
			q.lt = hi
		}
	}
	return p.wrap(field, func(string) query { return q })
}

// leaf turns one field/value pair into a query.
func (p *qsParser) leaf(field, value string, phrase bool) (query, error) {
	switch {
	case !phrase && (value == "*" && (field == "" || field == "*")):
		return matchAllQuery{}, nil
	case field == "_exists_":
		return &existsQuery{field: value}, nil
	case value == "" && !phrase:
		return nil, fmt.Errorf("missing value for field [%s]", field)
	}
	for _, op := range []string{">=", "<=", ">", "<"} {
		if !phrase && field != "" && strings.HasPrefix(value, op) {
			q := &rangeQuery{field: field}
			v := any(value[len(op):])
			switch op {
			case ">=":
				q.gte = v
			case "<=":
				q.lte = v
			case ">":
				q.gt = v
			case "<":
				q.lt = v
			}
			return p.wrap(field, func(string) query { return q })
		}
	}
	return p.wrap(field, func(f string) query {
		return &qsTermQuery{field: f, value: value, phrase: phrase, and: p.opts.and}
	})
}

// wrap applies the field: explicit fields bind strictly unless lenient,
// missing or wildcard fields expand to every matching field leniently.
func (p *qsParser) wrap(field string, build func(string) query) (query, error) {
	if field == "" {
		return &fieldsQuery{fields: p.opts.fields, build: build}, nil
	}
	if strings.Contains(field, "*") || p.opts.lenient {
		return &fieldsQuery{fields: []string{field}, build: build}, nil
	}
	return build(field), nil
}

// qsTermQuery is one query_string term on one field: analysed like match
// on text fields, exact like term elsewhere, wildcard when it has * or ?.
type qsTermQuery struct {
	field, value string
	phrase, and  bool
}

func (q *qsTermQuery) scoring() bool { return true }

func (q *qsTermQuery) bind(b *binder) (matcher, error) {
	ref, ok := b.resolve(q.field)
	if !ok {
		return none, nil
	}
	wild := !q.phrase && strings.ContainsAny(q.value, "*?")
	switch {
	case wild && textTypes[ref.f.typ]:
		return (&patternQuery{field: q.field, pattern: strings.ToLower(q.value), wildcard: true}).bind(b)
	case wild:
		return (&patternQuery{field: q.field, pattern: q.value, wildcard: true}).bind(b)
	case textTypes[ref.f.typ]:
		return (&matchQuery{field: q.field, text: q.value, phrase: q.phrase, and: q.and}).bind(b)
	}
	return (&termQuery{field: q.field, value: q.value}).bind(b)
}
