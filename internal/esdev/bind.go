package esdev

import (
	"cmp"
	"slices"
	"strings"
)

func (matchAllQuery) bind(*binder) (matcher, error) { return func(*doc) bool { return true }, nil }

func (q *termQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		preds := make([]func(any) bool, 0, len(q.values))
		for _, v := range q.values {
			p, err := b.equals(ref, v)
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		return func(x any) bool {
			return slices.ContainsFunc(preds, func(p func(any) bool) bool { return p(x) })
		}, nil
	})
}

// bind for match analyses the text for text fields (any token, all tokens
// with operator "and", or consecutive tokens within one value for a
// phrase); on other fields it is a term query, as in Elasticsearch.
func (q *matchQuery) bind(b *binder) (matcher, error) {
	ref, ok := b.resolve(q.field)
	if !ok {
		return none, nil
	}
	if ref.f.typ != "text" {
		return (&termQuery{field: q.field, values: []any{q.text}}).bind(b)
	}
	want := analyze(q.text)
	if len(want) == 0 {
		return none, nil
	}
	return func(d *doc) bool {
		var have []string
		for _, v := range b.values(ref, d) {
			toks := analyze(scalarString(v))
			for i := 0; q.phrase && i+len(want) <= len(toks); i++ {
				if slices.Equal(toks[i:i+len(want)], want) {
					return true
				}
			}
			have = append(have, toks...)
		}
		in := func(t string) bool { return slices.Contains(have, t) }
		switch {
		case q.phrase:
			return false
		case q.and:
			return !slices.ContainsFunc(want, func(t string) bool { return !in(t) })
		}
		return slices.ContainsFunc(want, in)
	}, nil
}

// bind for range compares numbers on numeric fields, epoch millis on date
// fields (gt and lte round date math up, as Elasticsearch does), and
// strings otherwise.
func (q *rangeQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		bounds := []struct {
			v       any
			roundUp bool
			ok      func(c int) bool // c compares the doc value to the bound
		}{
			{q.gt, true, func(c int) bool { return c > 0 }},
			{q.gte, false, func(c int) bool { return c >= 0 }},
			{q.lt, false, func(c int) bool { return c < 0 }},
			{q.lte, true, func(c int) bool { return c <= 0 }},
		}
		var preds []func(any) bool
		for _, bd := range bounds {
			if bd.v == nil {
				continue
			}
			cmpFn, err := b.comparator(ref, bd.v, q.format, bd.roundUp)
			if err != nil {
				return nil, err
			}
			okFn := bd.ok
			preds = append(preds, func(x any) bool { c, ok := cmpFn(x); return ok && okFn(c) })
		}
		return func(x any) bool {
			return !slices.ContainsFunc(preds, func(p func(any) bool) bool { return !p(x) })
		}, nil
	})
}

// comparator returns a function comparing a doc value to bound v (-1, 0,
// 1) for ref's type; false when the doc value is not comparable.
func (b *binder) comparator(ref fieldRef, v any, format string, roundUp bool) (func(any) (int, bool), error) {
	f := ref.f
	switch {
	case isNumeric(f.typ):
		bound, ok := toFloat(v)
		if !ok {
			return nil, queryError("For input string: \"%s\"", scalarString(v))
		}
		return func(x any) (int, bool) { n, ok := toFloat(x); return cmp.Compare(n, bound), ok }, nil
	case f.typ == "date":
		bound, err := b.dateBound(f, v, format, roundUp)
		if err != nil {
			return nil, err
		}
		return func(x any) (int, bool) { ms, ok := docMillis(f, x); return cmp.Compare(ms, bound), ok }, nil
	}
	bound := scalarString(v)
	return func(x any) (int, bool) { return strings.Compare(scalarString(x), bound), true }, nil
}

func (q *existsQuery) bind(b *binder) (matcher, error) {
	ref, ok := b.resolve(q.field)
	if !ok {
		return none, nil
	}
	if ref.f.isObject() {
		prefix := ref.src + "."
		return func(d *doc) bool {
			for k := range d.fields {
				if strings.HasPrefix(k, prefix) {
					return true
				}
			}
			return false
		}, nil
	}
	return b.anyValue(q.field, func(fieldRef) (func(any) bool, error) {
		return func(any) bool { return true }, nil
	})
}

// bind for wildcard matches the tokens of text fields (the pattern
// lower-cased, as query_string normalises it) and whole values otherwise.
func (q *wildcardQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		if ref.f.typ == "text" {
			pat := strings.ToLower(q.pattern)
			return func(x any) bool {
				return slices.ContainsFunc(analyze(scalarString(x)), func(t string) bool { return wildcardMatch(pat, t) })
			}, nil
		}
		return func(x any) bool { return wildcardMatch(q.pattern, scalarString(x)) }, nil
	})
}

// bind for bool follows Elasticsearch: every must and filter clause, no
// must_not clause, and at least minimum_should_match should clauses —
// which defaults to 1 only when there is no must or filter clause.
func (q *boolQuery) bind(b *binder) (matcher, error) {
	bindAll := func(qs []query) ([]matcher, error) {
		out := make([]matcher, 0, len(qs))
		for _, c := range qs {
			m, err := c.bind(b)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	must, err := bindAll(append(slices.Clone(q.must), q.filter...))
	if err != nil {
		return nil, err
	}
	should, err := bindAll(q.should)
	if err != nil {
		return nil, err
	}
	mustNot, err := bindAll(q.mustNot)
	if err != nil {
		return nil, err
	}
	minShould := q.minShould
	if minShould < 0 {
		minShould = 0
		if len(should) > 0 && len(must) == 0 {
			minShould = 1
		}
	}
	return func(d *doc) bool {
		for _, m := range must {
			if !m(d) {
				return false
			}
		}
		for _, m := range mustNot {
			if m(d) {
				return false
			}
		}
		n := 0
		for _, m := range should {
			if n >= minShould {
				break
			}
			if m(d) {
				n++
			}
		}
		return n >= minShould
	}, nil
}
