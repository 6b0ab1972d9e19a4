package esdev

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dateFormats are the date formats the stand-in parses; a mapping naming
// another is refused. The default is strict_date_optional_time||epoch_millis.
var dateFormats = []string{"strict_date_optional_time", "date_optional_time", "epoch_millis"}

// parseDate parses s as ISO-8601 or, if format allows, epoch millis. It
// also returns the last unit written ('y', 'M', 'd', 'h', 'm', 's', or 0
// for exact), which decides how far rounding up extends a bound: lte
// "2024-01-01" includes the whole day, as in Elasticsearch.
func parseDate(s, format string) (time.Time, byte, error) {
	if t, unit, err := parseISO(s); err == nil && (format == "" || strings.Contains(format, "date_optional_time")) {
		return t, unit, nil
	}
	if format == "" || strings.Contains(format, "epoch_millis") {
		if n, err := strconv.ParseFloat(s, 64); err == nil {
			return time.UnixMilli(int64(n)).UTC(), 0, nil
		}
	}
	return time.Time{}, 0, fmt.Errorf("failed to parse date field [%s] with format [%s]", s, format)
}

// looksLikeDate is dynamic date detection: a strict_date_optional_time
// string of at least yyyy-MM-dd.
func looksLikeDate(s string) bool {
	_, unit, err := parseISO(s)
	return err == nil && len(s) >= 10 && unit != 'y' && unit != 'M'
}

// parseISO reads yyyy[-MM[-dd[THH[:mm[:ss[.fraction]]]]]][Z|±HH:mm].
func parseISO(s string) (time.Time, byte, error) {
	bad := errors.New("not an ISO-8601 date")
	parts := []int{0, 1, 1, 0, 0, 0}
	units, seps := "yMdhms", "--T::"
	i, unit := 0, byte(0)
	for p := range parts {
		n := map[bool]int{true: 4, false: 2}[p == 0]
		if p > 0 {
			if i >= len(s) || s[i] != seps[p-1] {
				break
			}
			i++
		}
		if i+n > len(s) || s[i] == '+' || s[i] == '-' {
			return time.Time{}, 0, bad
		}
		v, err := strconv.Atoi(s[i : i+n])
		if err != nil {
			return time.Time{}, 0, bad
		}
		parts[p], unit, i = v, units[p], i+n
	}
	nanos := 0
	if unit == 's' && i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac := s[i+1 : j]
		if frac == "" || len(frac) > 9 {
			return time.Time{}, 0, bad
		}
		nanos, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
		unit, i = 0, j
	}
	loc := time.UTC
	if z := s[i:]; z != "" && z != "Z" {
		t, err := time.Parse("-07:00", z)
		if err != nil || unit == 'y' {
			return time.Time{}, 0, bad
		}
		loc = t.Location()
	}
	t := time.Date(parts[0], time.Month(parts[1]), parts[2], parts[3], parts[4], parts[5], nanos, loc)
	if t.Month() != time.Month(parts[1]) || t.Day() != parts[2] || parts[3] > 23 || parts[4] > 59 || parts[5] > 59 {
		return time.Time{}, 0, bad
	}
	return t, unit, nil
}

// dateMath evaluates a date or Elasticsearch date math on "now" ("now",
// "now-15m", "now+1h/d"); roundUp selects the end of a rounded or
// partially written unit (used by gt and lte), as Elasticsearch does.
// Date math anchored on a date ("2024-01-01||+1M") is not supported.
func dateMath(expr, format string, now time.Time, roundUp bool) (time.Time, error) {
	if !strings.HasPrefix(expr, "now") {
		if strings.Contains(expr, "||") {
			return time.Time{}, fmt.Errorf("date math anchored on a date [%s] is %s", expr, notSupported)
		}
		t, unit, err := parseDate(expr, format)
		if err == nil && roundUp && unit != 0 {
			t = addUnit(floorUnit(t, unit), unit, 1).Add(-time.Millisecond)
		}
		return t, err
	}
	t, rest := now.UTC(), expr[3:]
	for rest != "" {
		op, j := rest[0], 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(rest[1:j])
		if j >= len(rest) || !strings.ContainsRune("yMwdhHms", rune(rest[j])) || op == '/' && j > 1 ||
			op != '/' && (j == 1 || op != '+' && op != '-') {
			return time.Time{}, fmt.Errorf("operator or unit not supported for date math [%s]", expr)
		}
		switch unit := rest[j]; op {
		case '+':
			t = addUnit(t, unit, n)
		case '-':
			t = addUnit(t, unit, -n)
		default:
			t = floorUnit(t, unit)
			if roundUp {
				t = addUnit(t, unit, 1).Add(-time.Millisecond)
			}
		}
		rest = rest[j+1:]
	}
	return t, nil
}

func addUnit(t time.Time, unit byte, n int) time.Time {
	switch unit {
	case 'y':
		return t.AddDate(n, 0, 0)
	case 'M':
		return t.AddDate(0, n, 0)
	case 'w':
		return t.AddDate(0, 0, 7*n)
	case 'd':
		return t.AddDate(0, 0, n)
	}
	return t.Add(time.Duration(n) * map[byte]time.Duration{'h': time.Hour, 'H': time.Hour, 'm': time.Minute, 's': time.Second}[unit])
}

func floorUnit(t time.Time, unit byte) time.Time {
	y, mo, d := t.Date()
	switch unit {
	case 'y':
		return time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
	case 'M':
		return time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
	case 'w':
		day := time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case 'd':
		return time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	}
	return t.Truncate(map[byte]time.Duration{'h': time.Hour, 'H': time.Hour, 'm': time.Minute, 's': time.Second}[unit])
}

// formatDate prints t as Elasticsearch's default format does, in UTC.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
