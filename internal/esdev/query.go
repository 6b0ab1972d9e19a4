package esdev

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
var leafOptions = map[string][]string{"term": {"value", "boost"},
	"range": {"gt", "gte", "lt", "lte", "from", "to", "include_lower", "include_upper", "boost"}}

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
			if aerr := allowKeys(opts, "the ["+name+"] query", leafOptions[name]...); aerr != nil {
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

// parseDate parses s as strict_date_optional_time or epoch_millis, the
// default date format and the only one the stand-in reads. It also returns
// the last unit written ('y', 'M', 'd', 'h', 'm', 's', or 0 for exact),
// which decides how far rounding up extends a bound: lte "2024-01-01"
// includes the whole day, as in Elasticsearch.
func parseDate(s string) (time.Time, byte, error) {
	if t, unit, err := parseISO(s); err == nil {
		return t, unit, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		return time.UnixMilli(int64(n)).UTC(), 0, nil
	}
	return time.Time{}, 0, fmt.Errorf("failed to parse date field [%s] with format [strict_date_optional_time||epoch_millis]", s)
}

// looksLikeDate is dynamic date detection: a strict_date_optional_time
// string of at least yyyy-MM-dd.
func looksLikeDate(s string) bool {
	_, unit, err := parseISO(s)
	return err == nil && unit != 'y' && unit != 'M'
}

// isoLayouts are the strict_date_optional_time shapes, each with the last
// unit it writes (0: exact).
var isoLayouts = []struct {
	layout string
	unit   byte
}{{"2006-01-02T15:04:05.999999999Z07:00", 0}, {"2006-01-02T15:04:05Z07:00", 's'}, {"2006-01-02T15:04Z07:00", 'm'},
	{"2006-01-02T15Z07:00", 'h'}, {"2006-01-02T15:04:05.999999999", 0}, {"2006-01-02T15:04:05", 's'},
	{"2006-01-02T15:04", 'm'}, {"2006-01-02T15", 'h'}, {"2006-01-02", 'd'}, {"2006-01", 'M'}, {"2006", 'y'}}

// parseISO reads yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]]]]][Z|±HH:mm], in UTC
// when no zone is written.
func parseISO(s string) (time.Time, byte, error) {
	for _, l := range isoLayouts {
		if t, err := time.Parse(l.layout, s); err == nil && (l.unit != 0 || strings.Contains(s, ".")) {
			return t, l.unit, nil
		}
	}
	return time.Time{}, 0, errors.New("not an ISO-8601 date")
}

// dateMath evaluates a date or Elasticsearch date math on "now" ("now",
// "now-15m", "now+1h"); roundUp selects the end of a partially written
// date (used by gt and lte: lte "2024-01-01" takes in the whole day), as
// Elasticsearch does. Rounding ("now/d") and date math anchored on a date
// ("2024-01-01||+1M") are not supported.
func dateMath(expr string, now time.Time, roundUp bool) (time.Time, error) {
	if strings.Contains(expr, "||") || strings.Contains(expr, "/") {
		return time.Time{}, fmt.Errorf("date math rounding or anchored on a date [%s] is %s", expr, notSupported)
	}
	if !strings.HasPrefix(expr, "now") {
		t, unit, err := parseDate(expr)
		if err == nil && roundUp && unit != 0 {
			t = addUnit(t, unit, 1).Add(-time.Millisecond) // a partial date is the start of its unit
		}
		return t, err
	}
	t, rest := now.UTC(), expr[3:]
	for rest != "" {
		j := 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(rest[1:j])
		if j == 1 || j >= len(rest) || !strings.ContainsRune("yMwdhHms", rune(rest[j])) || rest[0] != '+' && rest[0] != '-' {
			return time.Time{}, fmt.Errorf("operator or unit not supported for date math [%s]", expr)
		}
		if rest[0] == '-' {
			n = -n
		}
		t, rest = addUnit(t, rest[j], n), rest[j+1:]
	}
	return t, nil
}

// addUnit adds n units of date math: calendar ones as {years, months,
// days} per step, fixed ones as durations.
func addUnit(t time.Time, unit byte, n int) time.Time {
	if c, ok := map[byte][3]int{'y': {1, 0, 0}, 'M': {0, 1, 0}, 'w': {0, 0, 7}, 'd': {0, 0, 1}}[unit]; ok {
		return t.AddDate(n*c[0], n*c[1], n*c[2])
	}
	return t.Add(time.Duration(n) * map[byte]time.Duration{'h': time.Hour, 'H': time.Hour, 'm': time.Minute, 's': time.Second}[unit])
}

// formatDate prints t as Elasticsearch's default format does, in UTC.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
