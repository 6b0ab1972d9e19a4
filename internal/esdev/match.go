package esdev

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// matcher decides whether a document of the bound index matches.
type matcher func(d *doc) bool

func none(*doc) bool { return false }

// binder carries what binding a query needs: the index (for its mapping)
// and the instant "now" of date math, fixed once per request.
type binder struct {
	idx *index
	now time.Time
}

// anyValue builds a matcher true when pred holds for some value of the
// field; it never matches an unmapped field, as in Elasticsearch. Keyword
// values longer than ignore_above were not indexed and never match.
func (b *binder) anyValue(path string, mk func(f *field) (func(any) bool, error)) (matcher, error) {
	f := b.idx.mapping.lookup(path)
	if strings.HasPrefix(path, "_") {
		return nil, fmt.Errorf("querying the metadata field [%s] is %s", path, notSupported)
	} else if f == nil {
		return none, nil
	}
	pred, err := mk(f)
	if err != nil {
		return nil, err
	}
	ia := f.ignoreAbove
	return func(d *doc) bool {
		return slices.ContainsFunc(d.fields[f.src], func(v any) bool { return (ia == 0 || len(scalarString(v)) <= ia) && pred(v) })
	}, nil
}

// queryError is a query that does not fit its field, reported like the
// query_shard_exception of Elasticsearch.
func queryError(format string, args ...any) error {
	return fmt.Errorf("failed to create query: "+format, args...)
}

func (matchAllQuery) bind(*binder) (matcher, error) { return func(*doc) bool { return true }, nil }

// bind for term matches the exact value for the field's type: one token
// of text, a keyword, a number, a date, a boolean.
func (q *termQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(f *field) (func(any) bool, error) {
		c, err := b.comparator(f, q.value, false)
		return func(x any) bool { n, ok := c(x); return ok && n == 0 }, err
	})
}

// bind for range compares numbers, dates (as epoch millis; gt and lte
// round date math and partial dates up, as Elasticsearch does) and strings.
func (q *rangeQuery) bind(b *binder) (matcher, error) {
	return b.anyValue(q.field, func(f *field) (func(any) bool, error) {
		var preds []func(any) bool
		for _, bd := range []struct {
			v       any
			roundUp bool
			ok      func(c int) bool
		}{{q.gt, true, func(c int) bool { return c > 0 }}, {q.gte, false, func(c int) bool { return c >= 0 }},
			{q.lt, false, func(c int) bool { return c < 0 }}, {q.lte, true, func(c int) bool { return c <= 0 }}} {
			if bd.v == nil {
				continue
			}
			c, err := b.comparator(f, bd.v, bd.roundUp)
			if err != nil {
				return nil, err
			}
			preds = append(preds, func(x any) bool { n, ok := c(x); return ok && bd.ok(n) })
		}
		return func(x any) bool { return !slices.ContainsFunc(preds, func(p func(any) bool) bool { return !p(x) }) }, nil
	})
}

// comparator returns a function comparing a doc value of f to v (-1, 0,
// 1), false when the doc value is not comparable; text compares tokens.
func (b *binder) comparator(f *field, v any, roundUp bool) (func(any) (int, bool), error) {
	switch {
	case isNumeric(f.typ) || f.typ == "boolean":
		want, ok := toFloat(v)
		if f.typ == "boolean" {
			want, ok = docNumber(v)
		}
		if !ok {
			return nil, queryError("For input string: \"%s\"", scalarString(v))
		}
		return func(x any) (int, bool) { n, ok := docNumber(x); return cmp.Compare(n, want), ok }, nil
	case f.typ == "date":
		want, err := b.dateBound(v, roundUp)
		if err != nil {
			return nil, err
		}
		return func(x any) (int, bool) { ms, ok := docMillis(x); return cmp.Compare(ms, want), ok }, nil
	case f.typ == "text":
		want := scalarString(v)
		return func(x any) (int, bool) {
			return map[bool]int{true: 0, false: 1}[slices.Contains(analyze(scalarString(x)), want)], true
		}, nil
	}
	want := scalarString(v)
	return func(x any) (int, bool) { return strings.Compare(scalarString(x), want), true }, nil
}

// bind for bool follows Elasticsearch: every must and filter clause, no
// must_not clause, and one should clause when there is no must or filter
// clause (minimum_should_match's default; other values are refused).
func (q *boolQuery) bind(b *binder) (matcher, error) {
	var ms [3][]matcher
	for i, qs := range [][]query{append(slices.Clone(q.must), q.filter...), q.should, q.mustNot} {
		for _, c := range qs {
			m, err := c.bind(b)
			if err != nil {
				return nil, err
			}
			ms[i] = append(ms[i], m)
		}
	}
	must, should, mustNot := ms[0], ms[1], ms[2]
	needShould := len(should) > 0 && len(must) == 0
	some := func(ms []matcher, d *doc) bool { return slices.ContainsFunc(ms, func(m matcher) bool { return m(d) }) }
	return func(d *doc) bool {
		return (!needShould || some(should, d)) && !some(mustNot, d) && !slices.ContainsFunc(must, func(m matcher) bool { return !m(d) })
	}, nil
}

func isNumeric(typ string) bool {
	return slices.Contains([]string{"long", "integer", "double", "float"}, typ)
}

// docMillis reads a stored date value as epoch milliseconds.
func docMillis(x any) (int64, bool) {
	if n, ok := x.(json.Number); ok {
		v, err := n.Float64()
		return int64(v), err == nil
	}
	t, _, err := parseDate(scalarString(x))
	return t.UnixMilli(), err == nil
}

// dateBound evaluates a query value for a date field to epoch millis,
// with date math and the rounding direction of the bound it is used as.
func (b *binder) dateBound(v any, roundUp bool) (int64, error) {
	if n, ok := v.(json.Number); ok {
		ms, err := n.Float64()
		return int64(ms), err
	}
	t, err := dateMath(scalarString(v), b.now, roundUp)
	if err != nil {
		return 0, queryError("%v", err)
	}
	return t.UnixMilli(), nil
}

// token approximates Elasticsearch's standard analyzer on lower-cased
// text: runs of letters, digits and '_', joined across a '.' or '\”
// between two such characters ("example.com", "don't" stay one token).
var token = regexp.MustCompile(`[\pL\p{Nd}_]+(?:['.][\pL\p{Nd}_]+)*`)

func analyze(s string) []string { return token.FindAllString(strings.ToLower(s), -1) }
