package esdev

import (
	"slices"
	"strings"
)

func none(*doc) bool { return false }

func (matchAllQuery) scoring() bool  { return true }
func (matchNoneQuery) scoring() bool { return true }
func (*termQuery) scoring() bool     { return true }
func (*termsQuery) scoring() bool    { return true }
func (*matchQuery) scoring() bool    { return true }
func (*rangeQuery) scoring() bool    { return true }
func (*existsQuery) scoring() bool   { return true }
func (*patternQuery) scoring() bool  { return true }
func (*idsQuery) scoring() bool      { return true }
func (*anyOfQuery) scoring() bool    { return true }
func (q *boolQuery) scoring() bool   { return len(q.must)+len(q.should) > 0 }

func (matchAllQuery) bind(*binder) (matcher, error) { return func(*doc) bool { return true }, nil }

func (matchNoneQuery) bind(*binder) (matcher, error) { return none, nil }

func (q *termQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		return b.equals(ref, q.value, q.caseInsensitive)
	})
}

func (q *termsQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		preds := make([]func(any) bool, 0, len(q.values))
		for _, v := range q.values {
			p, err := b.equals(ref, v, false)
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
// with operator "and", or consecutive tokens within one value for
// match_phrase); on other fields it is a term query, as in Elasticsearch.
func (q *matchQuery) bind(b *binder) (matcher, error) {
	ref, ok := b.resolve(q.field)
	if !ok {
		return none, nil
	}
	if !textTypes[ref.f.typ] {
		return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
			return b.equals(ref, q.text, false)
		})
	}
	want := analyze(q.text)
	if len(want) == 0 {
		return none, nil
	}
	return func(d *doc) bool {
		var have []string
		for _, v := range b.values(ref, d) {
			toks := analyze(scalarString(v))
			if q.phrase && containsRun(toks, want) {
				return true
			}
			have = append(have, toks...)
		}
		if q.phrase {
			return false
		}
		in := func(t string) bool { return slices.Contains(have, t) }
		if q.and {
			return !slices.ContainsFunc(want, func(t string) bool { return !in(t) })
		}
		return slices.ContainsFunc(want, in)
	}, nil
}

func containsRun(toks, run []string) bool {
	for i := 0; i+len(run) <= len(toks); i++ {
		if slices.Equal(toks[i:i+len(run)], run) {
			return true
		}
	}
	return false
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
			cmp, err := b.comparator(ref, bd.v, q.format, q.timeZone, bd.roundUp)
			if err != nil {
				return nil, err
			}
			okFn := bd.ok
			preds = append(preds, func(x any) bool { c, ok := cmp(x); return ok && okFn(c) })
		}
		return func(x any) bool {
			return !slices.ContainsFunc(preds, func(p func(any) bool) bool { return !p(x) })
		}, nil
	})
}

// comparator returns a function comparing a doc value to bound v (-1, 0,
// 1) for ref's type; false when the doc value is not comparable.
func (b *binder) comparator(ref fieldRef, v any, format, tz string, roundUp bool) (func(any) (int, bool), error) {
	f := ref.f
	switch {
	case isNumeric(f.typ):
		bound, ok := toFloat(v)
		if !ok {
			return nil, queryError("For input string: \"%s\"", scalarString(v))
		}
		return func(x any) (int, bool) {
			n, ok := toFloat(x)
			return cmpFloat(n, bound), ok
		}, nil
	case f.typ == "date" || f.typ == "date_nanos":
		bound, err := b.dateBound(f, v, format, tz, roundUp)
		if err != nil {
			return nil, err
		}
		return func(x any) (int, bool) {
			ms, ok := docMillis(f, x)
			return cmpFloat(float64(ms), float64(bound)), ok
		}, nil
	}
	bound := scalarString(v)
	return func(x any) (int, bool) { return strings.Compare(scalarString(x), bound), true }, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

// bind for prefix and wildcard matches the stored tokens of text fields
// and the whole value otherwise; the pattern itself is not analysed.
func (q *patternQuery) bind(b *binder) (matcher, error) {
	pat := q.pattern
	if q.caseInsensitive {
		pat = strings.ToLower(pat)
	}
	test := func(s string) bool {
		if q.caseInsensitive {
			s = strings.ToLower(s)
		}
		if q.wildcard {
			return wildcardMatch(pat, s)
		}
		return strings.HasPrefix(s, pat)
	}
	return b.anyValue(q.field, func(ref fieldRef) (func(any) bool, error) {
		if textTypes[ref.f.typ] {
			return func(x any) bool { return slices.ContainsFunc(analyze(scalarString(x)), test) }, nil
		}
		return func(x any) bool { return test(scalarString(x)) }, nil
	})
}

func (q *idsQuery) bind(*binder) (matcher, error) {
	return func(d *doc) bool { return slices.Contains(q.ids, d.id) }, nil
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

// bind for anyOf skips clauses that do not fit their field: the lenient
// behaviour of queries over many fields.
func (q *anyOfQuery) bind(b *binder) (matcher, error) {
	var ms []matcher
	for _, c := range q.clauses {
		if m, err := c.bind(b); err == nil {
			ms = append(ms, m)
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
