package esdev

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultDateFormat is the format of date fields that declare none.
const defaultDateFormat = "strict_date_optional_time||epoch_millis"

// isoOutput is how Elasticsearch prints dates in the default format, e.g.
// in key_as_string of date_histogram buckets.
const isoOutput = "2006-01-02T15:04:05.000Z07:00"

// precision is the smallest unit written in a date string, which decides
// how far "round up" extends it (lte "2024-01-01" includes the whole day).
type precision int

const (
	precYear precision = iota
	precMonth
	precDay
	precHour
	precMinute
	precSecond
	precExact
)

// parseDate parses s with an Elasticsearch date format ("a||b" tries each
// in turn). Dates without a zone are in loc, UTC when loc is nil.
func parseDate(s, format string, loc *time.Location) (time.Time, error) {
	t, _, err := parseDatePrec(s, format, loc)
	return t, err
}

func parseDatePrec(s, format string, loc *time.Location) (time.Time, precision, error) {
	if loc == nil {
		loc = time.UTC
	}
	if format == "" {
		format = defaultDateFormat
	}
	for f := range strings.SplitSeq(format, "||") {
		switch f {
		case "strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
			"strict_date_time", "date_time", "strict_date", "date", "iso8601":
			if t, p, err := parseISO(s, loc); err == nil {
				return t, p, nil
			}
		case "epoch_millis", "epoch_second":
			n, err := strconv.ParseFloat(s, 64)
			if err != nil {
				continue
			}
			if f == "epoch_second" {
				n *= 1000
			}
			return time.UnixMilli(int64(n)).UTC(), precExact, nil
		default:
			if layout, ok := javaLayout(f); ok {
				if t, err := time.ParseInLocation(layout, s, loc); err == nil {
					return t, precExact, nil
				}
			}
		}
	}
	return time.Time{}, 0, fmt.Errorf("failed to parse date field [%s] with format [%s]", s, format)
}

// looksLikeDate is dynamic date detection: a full strict_date_optional_time
// date, at least yyyy-MM-dd.
func looksLikeDate(s string) bool {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	_, p, err := parseISO(s, time.UTC)
	return err == nil && p >= precDay
}

// parseISO reads yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]]]]][Z|±HH[:mm]].
func parseISO(s string, loc *time.Location) (time.Time, precision, error) {
	bad := errors.New("not an ISO-8601 date")
	num := func(i, n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v, err := strconv.Atoi(s[i : i+n])
		return v, err == nil && s[i] != '+' && s[i] != '-'
	}
	year, ok := num(0, 4)
	if !ok {
		return time.Time{}, 0, bad
	}
	parts := []int{year, 1, 1, 0, 0, 0}
	prec, i := precYear, 4
	seps := []byte{'-', '-', 'T', ':', ':'}
	for p := 1; p < len(parts) && i < len(s) && s[i] == seps[p-1]; p++ {
		v, ok := num(i+1, 2)
		if !ok {
			return time.Time{}, 0, bad
		}
		parts[p], prec, i = v, precision(p), i+3
	}
	nanos := 0
	if prec == precSecond && i < len(s) && (s[i] == '.' || s[i] == ',') {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac := s[i+1 : j]
		if frac == "" || len(frac) > 9 {
			return time.Time{}, 0, bad
		}
		n, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		nanos, prec, i = n, precExact, j
	}
	zone, err := parseZone(s[i:], loc)
	if err != nil || prec == precYear && i < len(s) {
		return time.Time{}, 0, bad
	}
	t := time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], nanos, zone)
	if t.Month() != time.Month(parts[1]) || t.Day() != parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59 {
		return time.Time{}, 0, bad
	}
	return t, prec, nil
}

func parseZone(z string, loc *time.Location) (*time.Location, error) {
	switch {
	case z == "":
		return loc, nil
	case z == "Z":
		return time.UTC, nil
	case z[0] != '+' && z[0] != '-':
		return nil, errors.New("bad zone")
	}
	digits := strings.ReplaceAll(z[1:], ":", "")
	if len(digits) != 2 && len(digits) != 4 {
		return nil, errors.New("bad zone")
	}
	h, err1 := strconv.Atoi(digits[:2])
	m := 0
	var err2 error
	if len(digits) == 4 {
		m, err2 = strconv.Atoi(digits[2:])
	}
	if err1 != nil || err2 != nil {
		return nil, errors.New("bad zone")
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, off), nil
}

// loadZone resolves a time_zone parameter: "Z", "+01:00" or an IANA name.
func loadZone(tz string) (*time.Location, error) {
	if tz == "" || tz == "UTC" || tz == "Z" {
		return time.UTC, nil
	}
	if tz[0] == '+' || tz[0] == '-' {
		return parseZone(tz, time.UTC)
	}
	return time.LoadLocation(tz)
}

// dateMath evaluates Elasticsearch date math: "now-15m", "now/d",
// "2024-01-01||+1M/d", or a plain date. roundUp selects the end of a
// rounded unit (used by gt and lte), as Elasticsearch does.
func dateMath(expr, format string, loc *time.Location, now time.Time, roundUp bool) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	var anchor time.Time
	var rest string
	switch {
	case strings.HasPrefix(expr, "now"):
		anchor, rest = now.In(loc), expr[3:]
	case strings.Contains(expr, "||"):
		i := strings.Index(expr, "||")
		t, err := parseDate(expr[:i], format, loc)
		if err != nil {
			return time.Time{}, err
		}
		anchor, rest = t.In(loc), expr[i+2:]
	default:
		t, p, err := parseDatePrec(expr, format, loc)
		if err != nil {
			return time.Time{}, err
		}
		if roundUp && p < precExact {
			t = ceilPrecision(t, p)
		}
		return t, nil
	}
	t := anchor
	for rest != "" {
		op := rest[0]
		rest = rest[1:]
		n := 1
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 {
			if op == '/' {
				return time.Time{}, fmt.Errorf("rounding `/` can only be used on single unit types [%s]", expr)
			}
			n, _ = strconv.Atoi(rest[:j])
		}
		if j >= len(rest) {
			return time.Time{}, fmt.Errorf("truncated date math [%s]", expr)
		}
		unit := rest[j]
		rest = rest[j+1:]
		switch op {
		case '+', '-':
			if op == '-' {
				n = -n
			}
			var err error
			if t, err = addUnit(t, unit, n); err != nil {
				return time.Time{}, fmt.Errorf("%w in date math [%s]", err, expr)
			}
		case '/':
			start, err := floorUnit(t, unit)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w in date math [%s]", err, expr)
			}
			t = start
			if roundUp {
				next, _ := addUnit(start, unit, 1)
				t = next.Add(-time.Millisecond)
			}
		default:
			return time.Time{}, fmt.Errorf("operator not supported for date math [%s]", expr)
		}
	}
	return t, nil
}

func addUnit(t time.Time, unit byte, n int) (time.Time, error) {
	switch unit {
	case 'y':
		return t.AddDate(n, 0, 0), nil
	case 'M':
		return t.AddDate(0, n, 0), nil
	case 'w':
		return t.AddDate(0, 0, 7*n), nil
	case 'd':
		return t.AddDate(0, 0, n), nil
	case 'h', 'H':
		return t.Add(time.Duration(n) * time.Hour), nil
	case 'm':
		return t.Add(time.Duration(n) * time.Minute), nil
	case 's':
		return t.Add(time.Duration(n) * time.Second), nil
	}
	return t, fmt.Errorf("unit [%c] not supported", unit)
}

func floorUnit(t time.Time, unit byte) (time.Time, error) {
	y, mo, d := t.Date()
	loc := t.Location()
	switch unit {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc), nil
	case 'M':
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc), nil
	case 'w':
		day := time.Date(y, mo, d, 0, 0, 0, 0, loc)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)), nil
	case 'd':
		return time.Date(y, mo, d, 0, 0, 0, 0, loc), nil
	case 'h', 'H':
		return time.Date(y, mo, d, t.Hour(), 0, 0, 0, loc), nil
	case 'm':
		return time.Date(y, mo, d, t.Hour(), t.Minute(), 0, 0, loc), nil
	case 's':
		return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, loc), nil
	}
	return t, fmt.Errorf("unit [%c] not supported", unit)
}

// ceilPrecision moves t to the last millisecond of its written precision.
func ceilPrecision(t time.Time, p precision) time.Time {
	var next time.Time
	switch p {
	case precYear:
		next = t.AddDate(1, 0, 0)
	case precMonth:
		next = t.AddDate(0, 1, 0)
	case precDay:
		next = t.AddDate(0, 0, 1)
	case precHour:
		next = t.Add(time.Hour)
	case precMinute:
		next = t.Add(time.Minute)
	case precSecond:
		next = t.Add(time.Second)
	default:
		return t
	}
	return next.Add(-time.Millisecond)
}

// javaLayout translates the common letters of a Java date pattern such as
// "yyyy-MM-dd HH:mm:ss" into a Go layout.
func javaLayout(pattern string) (string, bool) {
	repl := []struct{ java, goLayout string }{
		{"yyyy", "2006"}, {"uuuu", "2006"}, {"yy", "06"}, {"MMM", "Jan"}, {"MM", "01"},
		{"dd", "02"}, {"HH", "15"}, {"mm", "04"}, {"ss", "05"}, {"SSSSSSSSS", "000000000"},
		{"SSSSSS", "000000"}, {"SSS", "000"}, {"XXX", "Z07:00"}, {"xxx", "-07:00"}, {"Z", "-0700"},
		{"'T'", "T"}, {"'Z'", "Z"},
	}
	var b strings.Builder
	for i := 0; i < len(pattern); {
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(pattern[i:], r.java) {
				b.WriteString(r.goLayout)
				i += len(r.java)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := pattern[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return "", false
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), true
}

// formatDate prints t in format, the first Java pattern of it when it has
// one, Elasticsearch's ISO output otherwise.
func formatDate(t time.Time, format string) string {
	for f := range strings.SplitSeq(format, "||") {
		switch f {
		case "epoch_millis":
			return strconv.FormatInt(t.UnixMilli(), 10)
		case "epoch_second":
			return strconv.FormatInt(t.Unix(), 10)
		}
		if layout, ok := javaLayout(f); ok && f != "" {
			return t.Format(layout)
		}
		break
	}
	if t.Location() == time.UTC {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format(isoOutput)
}
