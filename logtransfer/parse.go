package logtransfer

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// parse extracts the fields of a line by the route's format. ok is false
// when a json or regex line does not parse; raw lines have no fields.
func (b *docBuilder) parse(line []byte) (fields map[string]any, ok bool) {
	switch b.route.Format {
	case FormatJSON:
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber() // keep 64-bit integers exact
		var m map[string]any
		if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
			return nil, false
		}
		return m, true
	case FormatRegex:
		idx := b.re.FindSubmatchIndex(line)
		if idx == nil {
			return nil, false
		}
		m := map[string]any{}
		for i, name := range b.re.SubexpNames() {
			if name == "" || idx[2*i] < 0 {
				continue // unnamed, or an optional group that did not take part
			}
			m[name] = string(line[idx[2*i]:idx[2*i+1]])
		}
		return m, true
	}
	return nil, true
}

// parseTime reads an event time from a parsed field value: a string, or a
// number for the unix layouts. Go layouts without a zone are read in loc.
func parseTime(v any, layout string, loc *time.Location) (time.Time, bool) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = x.String()
	default:
		return time.Time{}, false
	}
	switch layout {
	case LayoutUnix, LayoutUnixMs:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, false
		}
		if layout == LayoutUnixMs {
			return time.UnixMilli(int64(f)), true
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)), true
	case LayoutRFC3339:
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	default:
		t, err := time.ParseInLocation(layout, s, loc)
		return t, err == nil
	}
}
