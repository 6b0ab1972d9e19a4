package esdev

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
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

// fieldRef is a resolved field: its mapping, and where its values are.
type fieldRef struct {
	f   *field
	src string // path in doc.fields; "_id" for the _id metadata field
}

func (b *binder) resolve(path string) (fieldRef, bool) {
	if path == "_id" {
		return fieldRef{f: &field{typ: "keyword"}, src: "_id"}, true
	}
	f, src := b.idx.mapping.lookup(path)
	return fieldRef{f: f, src: src}, f != nil
}

func (b *binder) values(ref fieldRef, d *doc) []any {
	if ref.src == "_id" {
		return []any{d.id}
	}
	return d.fields[ref.src]
}

// anyValue builds a matcher true when pred holds for some value of field,
// and one that never matches for an unmapped field, as Elasticsearch does
// for fields no document has introduced yet.
func (b *binder) anyValue(field string, mk func(fieldRef) (func(any) bool, error)) (matcher, error) {
	ref, ok := b.resolve(field)
	if !ok {
		return none, nil
	}
	pred, err := mk(ref)
	if err != nil {
		return nil, err
	}
	ia := 0
	if ref.f.typ == "keyword" {
		ia, _ = toInt(ref.f.params["ignore_above"])
	}
	return func(d *doc) bool {
		for _, v := range b.values(ref, d) {
			if ia > 0 && len(scalarString(v)) > ia {
				continue // not indexed, as with ignore_above
			}
			if pred(v) {
				return true
			}
		}
		return false
	}, nil
}

// queryError is a query that does not fit its field, reported like the
// query_shard_exception of Elasticsearch.
func queryError(format string, args ...any) error {
	return fmt.Errorf("failed to create query: "+format, args...)
}

// equals returns a predicate matching values equal to v for ref's type:
// exact strings for keywords, one token for text, numbers, dates, booleans.
func (b *binder) equals(ref fieldRef, v any) (func(any) bool, error) {
	f := ref.f
	switch {
	case f.typ == "text":
		want := scalarString(v)
		return func(x any) bool { return slices.Contains(analyze(scalarString(x)), want) }, nil
	case isNumeric(f.typ):
		want, ok := toFloat(v)
		if !ok {
			return nil, queryError("For input string: \"%s\"", scalarString(v))
		}
		return func(x any) bool { got, ok := toFloat(x); return ok && got == want }, nil
	case f.typ == "date":
		t, err := b.dateBound(f, v, "", false)
		if err != nil {
			return nil, err
		}
		return func(x any) bool { ms, ok := docMillis(f, x); return ok && ms == t }, nil
	case f.typ == "boolean":
		want, ok := toBool(v)
		if !ok {
			return nil, queryError("Can't parse boolean value [%s], expected [true] or [false]", scalarString(v))
		}
		return func(x any) bool { got, ok := toBool(x); return ok && got == want }, nil
	}
	want := scalarString(v)
	return func(x any) bool { return scalarString(x) == want }, nil
}

func isNumeric(typ string) bool {
	switch typ {
	case "long", "integer", "short", "byte", "double", "float":
		return true
	}
	return false
}

// docMillis reads a stored date value as epoch milliseconds.
func docMillis(f *field, x any) (int64, bool) {
	if n, ok := x.(json.Number); ok {
		v, err := n.Float64()
		return int64(v), err == nil
	}
	t, _, err := parseDate(scalarString(x), f.format())
	return t.UnixMilli(), err == nil
}

// dateBound evaluates a query value for a date field to epoch millis,
// with date math and the rounding direction of the bound it is used as.
func (b *binder) dateBound(f *field, v any, format string, roundUp bool) (int64, error) {
	if n, ok := v.(json.Number); ok {
		ms, err := n.Float64()
		return int64(ms), err
	}
	if format == "" {
		format = f.format()
	}
	t, err := dateMath(scalarString(v), format, b.now, roundUp)
	if err != nil {
		return 0, queryError("%v", err)
	}
	return t.UnixMilli(), nil
}

// analyze approximates Elasticsearch's standard analyzer: lower-cased
// runs of letters, digits and '_', joined across a '.' or '\” between
// two such characters ("example.com", "don't" stay one token).
func analyze(s string) []string {
	var out []string
	var cur []rune
	rs := []rune(strings.ToLower(s))
	word := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }
	for i, r := range rs {
		switch {
		case word(r):
			cur = append(cur, r)
		case (r == '.' || r == '\'') && len(cur) > 0 && i+1 < len(rs) && word(rs[i+1]):
			cur = append(cur, r)
		case len(cur) > 0:
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	if len(cur) > 0 {
		out = append(out, string(cur))
	}
	return out
}

// wildcardMatch matches '*' and '?' wildcards against s.
func wildcardMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(t) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == t[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i, mark = star+1, mark+1
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}
