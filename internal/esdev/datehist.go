package esdev

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The date_histogram aggregation: fixed ("30s", "1h") or calendar
// ("1d", "month") intervals in a time zone, keys as epoch millis with
// key_as_string, and empty buckets filled in at min_doc_count 0.

func (a *aggSpec) parseInterval(o map[string]any) *apiError {
	if tz, ok := o["time_zone"].(string); ok {
		loc, err := loadZone(tz)
		if err != nil {
			return badRequest("unknown time zone [%s]", tz)
		}
		a.loc = loc
	}
	if b, ok := o["extended_bounds"].(map[string]any); ok {
		a.extMin, a.extMax = b["min"], b["max"]
	}
	if a.minDocCount < 0 {
		a.minDocCount = 0
	}
	calendar := map[string]byte{"minute": 'm', "1m": 'm', "hour": 'h', "1h": 'h', "day": 'd', "1d": 'd',
		"week": 'w', "1w": 'w', "month": 'M', "1M": 'M', "quarter": 'q', "1q": 'q', "year": 'y', "1y": 'y'}
	if s, ok := o["calendar_interval"].(string); ok {
		if a.calendar = calendar[s]; a.calendar == 0 {
			return badRequest("The supplied interval [%s] could not be parsed as a calendar interval.", s)
		}
		return nil
	}
	s, ok := o["fixed_interval"].(string)
	if !ok {
		if s, ok = o["interval"].(string); ok && calendar[s] != 0 {
			a.calendar = calendar[s]
			return nil
		}
	}
	if !ok {
		return badRequest("Required one of fields [fixed_interval, calendar_interval], but none were specified. in [%s]", a.name)
	}
	d, err := parseInterval(s)
	if err != nil || d <= 0 {
		return badRequest("failed to parse setting [date_histogram.fixedInterval] with value [%s] as a time value", s)
	}
	a.fixed = d
	return nil
}

// parseInterval reads fixed intervals such as "30s", "1h", "2d", "500ms".
func parseInterval(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil {
				continue
			}
			return time.Duration(v) * u.d, nil
		}
	}
	return 0, fmt.Errorf("bad interval %q", s)
}

// floor returns the start of the interval holding t, in the agg's zone.
func (a *aggSpec) floor(t time.Time) time.Time {
	t = t.In(a.loc)
	if a.fixed > 0 {
		_, off := t.Zone()
		shift := time.Duration(off) * time.Second
		local := time.Duration(t.UnixNano()) + shift
		return time.Unix(0, int64(local-local%a.fixed-shift)).In(a.loc)
	}
	if a.calendar == 'q' {
		m, _ := floorUnit(t, 'M')
		return m.AddDate(0, -int(m.Month()-1)%3, 0)
	}
	f, _ := floorUnit(t, a.calendar)
	return f
}

func (a *aggSpec) next(t time.Time) time.Time {
	switch {
	case a.fixed > 0:
		return t.Add(a.fixed)
	case a.calendar == 'q':
		return t.AddDate(0, 3, 0)
	}
	n, _ := addUnit(t, a.calendar, 1)
	return n
}

func (a *aggSpec) dateHistogram(docs []hitRef) map[string]any {
	byStart := map[int64]*bucket{}
	f := &field{params: map[string]any{}}
	for _, h := range docs {
		seen := map[int64]bool{}
		for _, v := range a.values(h) {
			ms, ok := docMillis(f, v)
			if !ok {
				continue
			}
			start := a.floor(time.UnixMilli(ms)).UnixMilli()
			if seen[start] {
				continue
			}
			seen[start] = true
			if byStart[start] == nil {
				byStart[start] = &bucket{key: start}
			}
			byStart[start].docs = append(byStart[start].docs, h)
		}
	}
	keys := slices.Sorted(maps.Keys(byStart))
	if a.minDocCount == 0 {
		keys = a.fillGaps(keys)
	}
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		b := byStart[k]
		if b == nil {
			b = &bucket{key: k}
		}
		if len(b.docs) < a.minDocCount {
			continue
		}
		b.str = formatDate(time.UnixMilli(k).In(a.loc), a.format)
		out = append(out, a.render(b))
	}
	return map[string]any{"buckets": out}
}

// fillGaps adds the empty buckets between the first and last key, and out
// to extended_bounds, as min_doc_count 0 does.
func (a *aggSpec) fillGaps(keys []int64) []int64 {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	if len(keys) > 0 {
		lo, hi = keys[0], keys[len(keys)-1]
	}
	for _, b := range []struct {
		v   any
		dst *int64
		lt  bool
	}{{a.extMin, &lo, true}, {a.extMax, &hi, false}} {
		if b.v == nil {
			continue
		}
		t, err := dateMath(scalarString(b.v), a.format, a.loc, time.Now(), false)
		if n, ok := toFloat(b.v); ok {
			t, err = time.UnixMilli(int64(n)), nil
		}
		if err != nil {
			continue
		}
		k := a.floor(t).UnixMilli()
		if b.lt && k < *b.dst || !b.lt && k > *b.dst {
			*b.dst = k
		}
	}
	if lo > hi {
		return keys
	}
	var out []int64
	for t := time.UnixMilli(lo).In(a.loc); t.UnixMilli() <= hi && len(out) < maxBuckets; t = a.next(t) {
		out = append(out, t.UnixMilli())
	}
	return out
}
