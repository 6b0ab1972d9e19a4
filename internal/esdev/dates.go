package esdev

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

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
// "now-15m", "now+1h/d"); roundUp selects the end of a rounded or
// partially written unit (used by gt and lte), as Elasticsearch does.
// Date math anchored on a date ("2024-01-01||+1M") is not supported.
func dateMath(expr string, now time.Time, roundUp bool) (time.Time, error) {
	if !strings.HasPrefix(expr, "now") {
		if strings.Contains(expr, "||") {
			return time.Time{}, fmt.Errorf("date math anchored on a date [%s] is %s", expr, notSupported)
		}
		t, unit, err := parseDate(expr)
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

// Units of date math: calendar ones, as {years, months, days} per step,
// and fixed ones.
var (
	calendarUnits = map[byte][3]int{'y': {1, 0, 0}, 'M': {0, 1, 0}, 'w': {0, 0, 7}, 'd': {0, 0, 1}}
	fixedUnits    = map[byte]time.Duration{'h': time.Hour, 'H': time.Hour, 'm': time.Minute, 's': time.Second}
)

func addUnit(t time.Time, unit byte, n int) time.Time {
	if c, ok := calendarUnits[unit]; ok {
		return t.AddDate(n*c[0], n*c[1], n*c[2])
	}
	return t.Add(time.Duration(n) * fixedUnits[unit])
}

func floorUnit(t time.Time, unit byte) time.Time {
	if _, ok := calendarUnits[unit]; !ok {
		return t.Truncate(fixedUnits[unit])
	}
	y, mo, d := t.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
	switch unit {
	case 'y':
		return day.AddDate(0, 1-int(mo), 1-d)
	case 'M':
		return day.AddDate(0, 0, 1-d)
	case 'w':
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	}
	return day
}

// formatDate prints t as Elasticsearch's default format does, in UTC.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
