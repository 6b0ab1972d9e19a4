package logagent

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Multiline defaults, used when the corresponding field is zero.
const (
	// DefaultMultilineMaxLines is the Multiline.MaxLines default.
	DefaultMultilineMaxLines = 500
	// DefaultMultilineTimeout is the Multiline.Timeout default.
	DefaultMultilineTimeout = 5 * time.Second
)

// Multiline joins lines into events with Filebeat's pattern semantics: a line
// "matches" when Pattern matches it XOR Negate. With Match "after" a matching
// line is appended to the line before it; with Match "before" a matching line
// is prepended to the line after it. Zero MaxLines and Timeout mean defaults.
//
// Java stack traces: Pattern `^[[:space:]]`, Match "after". Events that start
// with "[": Pattern `^\[`, Negate true, Match "after".
type Multiline struct {
	// Pattern is a Go (RE2) regular expression matched against each line.
	Pattern string `json:"pattern"`
	// Negate inverts the match.
	Negate bool `json:"negate"`
	// Match is "after" or "before": which neighbour a matching line joins.
	Match string `json:"match"`
	// MaxLines bounds the lines kept in one event; later lines are dropped
	// from Data (their bytes stay in the byte range) and the event is flagged
	// Truncated.
	MaxLines int `json:"max_lines"`
	// Timeout emits a pending event once no line has extended it for this
	// long, so the last event of a quiet file is not held back forever.
	Timeout Duration `json:"timeout"`
}

// Duration is a time.Duration that JSON-encodes as a string like "5s".
type Duration time.Duration

// MarshalText encodes d like time.Duration.String, e.g. "1m30s".
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText decodes a time.ParseDuration string such as "5s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Validate reports every invalid field of m, each named by its key.
func (m *Multiline) Validate() error {
	var errs []error
	if m.Pattern == "" {
		errs = append(errs, errors.New("multiline.pattern: must not be empty"))
	} else if _, err := regexp.Compile(m.Pattern); err != nil {
		errs = append(errs, fmt.Errorf("multiline.pattern: %w", err))
	}
	if m.Match != "after" && m.Match != "before" {
		errs = append(errs, fmt.Errorf("multiline.match: %q is neither \"after\" nor \"before\"", m.Match))
	}
	if m.MaxLines < 0 {
		errs = append(errs, fmt.Errorf("multiline.max_lines: %d is negative", m.MaxLines))
	}
	if m.Timeout < 0 {
		errs = append(errs, fmt.Errorf("multiline.timeout: %s is negative", time.Duration(m.Timeout)))
	}
	return errors.Join(errs...)
}

// joiner holds the pending multiline event. Lines arrive already decoded, so
// the pattern always sees UTF-8, as in Filebeat.
type joiner struct {
	re       *regexp.Regexp
	negate   bool
	before   bool
	maxLines int
	maxBytes int
	timeout  time.Duration

	open       bool   // an event is pending
	data       []byte // its joined lines
	out        []byte // Data of the event returned last; swapped with data
	start, end int64
	lines      int
	cut        bool
	last       time.Time // when a line last extended the pending event
}

func newJoiner(m *Multiline, maxBytes int) (*joiner, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	j := &joiner{
		re:       regexp.MustCompile(m.Pattern),
		negate:   m.Negate,
		before:   m.Match == "before",
		maxLines: m.MaxLines,
		maxBytes: maxBytes,
		timeout:  time.Duration(m.Timeout),
	}
	if j.maxLines == 0 {
		j.maxLines = DefaultMultilineMaxLines
	}
	if j.timeout == 0 {
		j.timeout = DefaultMultilineTimeout
	}
	return j, nil
}

// add takes the next line, spanning [start, end) in the file, and returns an
// event when the line completes one.
func (j *joiner) add(line []byte, cut bool, start, end int64, now time.Time) (Event, bool) {
	matched := j.re.Match(line) != j.negate
	if j.before {
		// A matching line continues into the next one, so the first line
		// that does not match is the last of its event: emit it at once
		// instead of waiting for the next line as Filebeat does.
		if j.open {
			j.extend(line, cut, end, now)
		} else {
			j.load(line, cut, start, end, now)
		}
		if matched {
			return Event{}, false
		}
		return j.take()
	}
	if j.open && matched {
		j.extend(line, cut, end, now)
		return Event{}, false
	}
	ev, ok := j.take()
	j.load(line, cut, start, end, now)
	return ev, ok
}

// load starts a pending event with line.
func (j *joiner) load(line []byte, cut bool, start, end int64, now time.Time) {
	j.open = true
	j.data = append(j.data[:0], line...)
	j.start, j.end = start, end
	j.lines, j.cut, j.last = 1, cut, now
}

// extend appends line to the pending event. Like Filebeat, lines beyond
// maxLines or maxBytes are dropped but still extend the byte range, so the
// saved position never lands inside an event.
func (j *joiner) extend(line []byte, cut bool, end int64, now time.Time) {
	j.end, j.last = end, now
	j.cut = j.cut || cut
	space := j.maxBytes - len(j.data) - 1 // 1 for the "\n" separator
	if j.lines >= j.maxLines || space <= 0 {
		j.cut = true
		return
	}
	if len(line) > space {
		line, j.cut = capUTF8(line, space), true
	}
	j.data = append(j.data, '\n')
	j.data = append(j.data, line...)
	j.lines++
}

// take returns the pending event, if any, and clears it.
func (j *joiner) take() (Event, bool) {
	if !j.open {
		return Event{}, false
	}
	j.open = false
	j.data, j.out = j.out, j.data
	return Event{Data: j.out, Offset: j.start, End: j.end, Truncated: j.cut}, true
}

// release lets go of large buffers while no event is pending (the last
// event's Data is no longer used once the next framer call came).
func (j *joiner) release() {
	if cap(j.data) > shrinkKeep {
		j.data = nil
	}
	if cap(j.out) > shrinkKeep {
		j.out = nil
	}
}

// expire returns the pending event if its timeout has passed at now.
func (j *joiner) expire(now time.Time) (Event, bool) {
	if !j.open || now.Before(j.last.Add(j.timeout)) {
		return Event{}, false
	}
	return j.take()
}

// deadline is when the pending event times out; zero if none is pending.
func (j *joiner) deadline() time.Time {
	if !j.open {
		return time.Time{}
	}
	return j.last.Add(j.timeout)
}
