package logtransfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Route is one etcd route: which topic to consume and how its records become
// documents. It is decoded strictly: unknown fields are errors, so a typo in
// a key is rejected instead of silently ignored.
type Route struct {
	// Topic is the Kafka topic to consume.
	Topic string `json:"topic"`
	// Index is the target index name; it may hold one date placeholder,
	// {yyyy.MM.dd}, {yyyy.MM} or {yyyy}, filled from the document's
	// @timestamp in the [transfer] time zone. Default: <topic>-{yyyy.MM.dd}.
	Index string `json:"index,omitempty"`
	// Format is how a line is parsed: raw (default), json, or regex.
	Format string `json:"format,omitempty"`
	// Pattern is the RE2 expression of the regex format; its named groups
	// become fields.
	Pattern string `json:"pattern,omitempty"`
	// TimeField names the parsed field holding the event time, and
	// TimeLayout its layout: a Go layout, unix, unix_ms or rfc3339 (default).
	TimeField  string `json:"time_field,omitempty"`
	TimeLayout string `json:"time_layout,omitempty"`
	// RetentionDays installs an ILM policy deleting indices after N days.
	RetentionDays int `json:"retention_days,omitempty"`
	// Shards and Replicas go into the index template when set.
	Shards   int  `json:"shards,omitempty"`
	Replicas *int `json:"replicas,omitempty"`
}

// Route formats.
const (
	FormatRaw   = "raw"
	FormatJSON  = "json"
	FormatRegex = "regex"
)

// Time layouts with a name instead of a Go layout.
const (
	LayoutUnix    = "unix"
	LayoutUnixMs  = "unix_ms"
	LayoutRFC3339 = "rfc3339"
)

// DecodeRoute decodes one route strictly and validates it.
func DecodeRoute(b []byte) (Route, error) {
	var r Route
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Route{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return Route{}, errors.New("invalid JSON: data after the route object")
	}
	r = r.WithDefaults()
	return r, r.Validate()
}

// WithDefaults fills the optional fields.
func (r Route) WithDefaults() Route {
	if r.Index == "" {
		r.Index = strings.ToLower(r.Topic) + "-{yyyy.MM.dd}"
	}
	if r.Format == "" {
		r.Format = FormatRaw
	}
	if r.TimeField != "" && r.TimeLayout == "" {
		r.TimeLayout = LayoutRFC3339
	}
	return r
}

var topicRe = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)

// Validate reports every problem, each naming its field.
func (r Route) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !topicRe.MatchString(r.Topic) || r.Topic == "." || r.Topic == ".." {
		bad("topic", "%q: want 1-249 of [A-Za-z0-9._-]", r.Topic)
	}
	if _, err := parseIndexName(r.Index); err != nil {
		bad("index", "%q: %v", r.Index, err)
	}
	switch r.Format {
	case FormatRaw, FormatJSON:
		if r.Pattern != "" {
			bad("pattern", "only used with format regex")
		}
	case FormatRegex:
		if re, err := regexp.Compile(r.Pattern); err != nil {
			bad("pattern", "%v", err)
		} else if !hasNamedGroup(re) {
			bad("pattern", "needs at least one named group (?P<name>...)")
		}
	default:
		bad("format", "%q: want raw, json or regex", r.Format)
	}
	if r.TimeField != "" && r.Format == FormatRaw {
		bad("time_field", "needs format json or regex (raw lines have no fields)")
	}
	if r.TimeLayout != "" && r.TimeField == "" {
		bad("time_layout", "needs time_field")
	}
	if r.TimeLayout != "" && !validLayout(r.TimeLayout) {
		bad("time_layout", "%q: want unix, unix_ms, rfc3339 or a Go layout such as 2006-01-02 15:04:05", r.TimeLayout)
	}
	if r.RetentionDays < 0 || r.RetentionDays > 36500 {
		bad("retention_days", "%d: want 0 (keep forever) to 36500", r.RetentionDays)
	}
	if r.Shards < 0 || r.Shards > 1024 {
		bad("shards", "%d: want 1 to 1024 (or leave it out)", r.Shards)
	}
	if r.Replicas != nil && (*r.Replicas < 0 || *r.Replicas > 32) {
		bad("replicas", "%d: want 0 to 32", *r.Replicas)
	}
	return errors.Join(errs...)
}

func hasNamedGroup(re *regexp.Regexp) bool {
	for _, n := range re.SubexpNames() {
		if n != "" {
			return true
		}
	}
	return false
}

// validLayout accepts the named layouts and Go layouts that hold at least
// a year or a clock (a layout of plain text would parse nothing).
func validLayout(l string) bool {
	switch l {
	case LayoutUnix, LayoutUnixMs, LayoutRFC3339:
		return true
	}
	ref := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	return strings.ContainsAny(l, "0123456789") && ref.Format(l) != l
}
