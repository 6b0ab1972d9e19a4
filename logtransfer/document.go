package logtransfer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
)

// Record headers written by logagent (see logagent/record.go): the input
// contract of logtransfer. Records produced by other tools may lack them.
const (
	hdrID        = "lp.id"
	hdrHost      = "lp.host"
	hdrPath      = "lp.path"
	hdrOffset    = "lp.offset"
	hdrTS        = "lp.ts"
	hdrTruncated = "lp.truncated"
	hdrFields    = "lp.fields"
)

// Tags added to a document whose line could not be fully interpreted; the
// line is indexed raw rather than dropped.
const (
	tagParseError     = "parse_error"
	tagTimeParseError = "time_parse_error"
	tagFieldsError    = "fields_parse_error"
)

// timestampLayout is how @timestamp and event.ingested are written.
const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// document is one Elasticsearch document built from one Kafka record.
type document struct {
	Index string
	ID    string
	// Body is the JSON source; action is the bulk action line before it.
	// Both are encoded once, here, and sent as they are (see bulkBody).
	Body   string
	action string
	// ReadAt is the agent's read time (lp.ts), zero when absent; the
	// write-to-index latency is measured from it.
	ReadAt time.Time
}

// docBuilder turns records of one route into documents. It is safe for
// concurrent use.
type docBuilder struct {
	route Route
	index indexName
	re    *regexp.Regexp
	loc   *time.Location
	now   func() time.Time
	// lastIndex is the index name of the last document's date: one date
	// is most of a stream's, and formatting it per document was two
	// allocations.
	lastIndex atomic.Pointer[datedIndex]
}

// datedIndex is an index name and the date it was rendered for.
type datedIndex struct {
	y, d int
	m    time.Month
	name string
}

// indexFor is the route's index for document time t (in its zone).
func (b *docBuilder) indexFor(t time.Time) string {
	if b.index.layout == "" {
		return b.index.prefix
	}
	y, m, d := t.Date()
	if c := b.lastIndex.Load(); c != nil && c.y == y && c.m == m && c.d == d {
		return c.name
	}
	name := b.index.render(t)
	b.lastIndex.Store(&datedIndex{y: y, m: m, d: d, name: name})
	return name
}

func newDocBuilder(r Route, loc *time.Location) (*docBuilder, error) {
	b := &docBuilder{route: r, loc: loc, now: time.Now}
	var err error
	if b.index, err = parseIndexName(r.Index); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if r.Format == FormatRegex {
		if b.re, err = regexp.Compile(r.Pattern); err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
	}
	return b, nil
}

// docID is the record's stable id: lp.id, or <topic>-<partition>-<offset>
// for records another tool produced. Either way a re-delivery of the same
// record maps to the same _id, which op_type=create turns into a 409.
func docID(m *sarama.ConsumerMessage, h recordHeaders) string {
	if len(h[hID]) > 0 {
		return string(h[hID])
	}
	return m.Topic + "-" + strconv.FormatInt(int64(m.Partition), 10) + "-" + strconv.FormatInt(m.Offset, 10)
}

// lineOffset is the byte offset of the record's line: lp.offset, which
// agents sent until 2026-12, or else the number after lp.id's last '-'
// (lp.id is <file id>-<offset>; the agent stopped repeating it in a header
// of its own, 19 bytes of ~450 per line on the wire).
func lineOffset(h recordHeaders) (int64, bool) {
	v := h[hOffset]
	if len(v) == 0 {
		i := bytes.LastIndexByte(h[hID], '-')
		if i < 0 {
			return 0, false
		}
		v = h[hID][i+1:]
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	return n, err == nil && n >= 0
}

// recordHeaders are the lp.* header values of one record, indexed by the
// hXxx constants, aliasing the record's memory; of a repeated header the
// last wins.
type recordHeaders [len(headerNames)][]byte

const (
	hID = iota
	hHost
	hPath
	hOffset
	hTS
	hTruncated
	hFields
)

var headerNames = [...]string{hID: hdrID, hHost: hdrHost, hPath: hdrPath, hOffset: hdrOffset,
	hTS: hdrTS, hTruncated: hdrTruncated, hFields: hdrFields}

func readHeaders(m *sarama.ConsumerMessage) recordHeaders {
	var h recordHeaders
	for _, x := range m.Headers {
		if x == nil {
			continue
		}
		for i, name := range headerNames {
			if string(x.Key) == name {
				h[i] = x.Value
			}
		}
	}
	return h
}

// bufPool holds scratch buffers documents are encoded into; each document
// then costs one allocation of its exact size.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuf keeps a rare huge document from pinning its buffer.
const maxPooledBuf = 64 << 10

// build makes the document of m. It never fails: what cannot be parsed is
// indexed raw and tagged.
//
// Precedence of top-level fields, lowest first: the agent's static fields
// (lp.fields), the parsed fields, then the fields logtransfer owns
// (@timestamp, message, host, log, event, lp, tags). The raw line is always
// in message, so a parsed field shadowed by an owned one loses nothing.
func (b *docBuilder) build(m *sarama.ConsumerMessage) document {
	h := readHeaders(m)
	var tagBuf [3]string
	src := source{message: m.Value, host: h[hHost], path: h[hPath], truncated: string(h[hTruncated]) == "true", tags: tagBuf[:0]}
	var static map[string]any
	if len(h[hFields]) > 0 {
		if err := json.Unmarshal(h[hFields], &static); err != nil {
			src.tags = append(src.tags, tagFieldsError)
		}
	}
	parsed, ok := b.parse(m.Value)
	if !ok {
		src.tags = append(src.tags, tagParseError)
	}
	switch {
	case len(static) == 0:
		src.extra = parsed
	case len(parsed) == 0:
		src.extra = static
	default:
		for k, v := range parsed {
			static[k] = v
		}
		src.extra = static
	}

	readAt := unixMsHeader(string(h[hTS]))
	ts := readAt
	if ts.IsZero() {
		ts = m.Timestamp
	}
	if b.route.TimeField != "" && ok {
		if t, found := parseTime(parsed[b.route.TimeField], b.route.TimeLayout, b.loc); found {
			ts = t
		} else {
			src.tags = append(src.tags, tagTimeParseError)
		}
	}
	src.timestamp = ts
	src.created = readAt
	src.ingested = b.now()
	src.offset, src.hasOffset = lineOffset(h)

	d := document{Index: b.indexFor(ts.In(b.loc)), ID: docID(m, h), ReadAt: readAt}
	bp := bufPool.Get().(*[]byte)
	buf := appendCreateAction((*bp)[:0], d.Index, d.ID)
	n := len(buf)
	buf, err := src.appendJSON(buf)
	if err != nil {
		// Only a parsed value JSON cannot encode gets here (none can:
		// every value came from JSON or a string); index the line raw.
		buf = append(buf[:n], `{"@timestamp":"`...)
		buf = appendTimestamp(buf, ts)
		buf = append(buf, `","message":`...)
		buf = appendJSONString(buf, m.Value)
		buf = append(buf, `,"tags":["`+tagParseError+`"]}`...)
	}
	lines := string(buf)
	d.action, d.Body = lines[:n], lines[n:]
	if cap(buf) <= maxPooledBuf {
		*bp = buf
		bufPool.Put(bp)
	}
	return d
}

// source is the top-level fields of one document body.
type source struct {
	extra     map[string]any // static and parsed fields, owned ones not yet removed
	timestamp time.Time
	// created is ECS event.created, the agent's read time (lp.ts; zero
	// when absent): the hour logctl audit buckets a line in, as the agent
	// counts it.
	created   time.Time
	ingested  time.Time
	message   []byte
	host      []byte
	path      []byte
	offset    int64
	hasOffset bool
	truncated bool
	tags      []string
}

// ownedKeys are the top-level keys logtransfer may write, in encoding/json's
// (bytewise) order.
var ownedKeys = [...]string{"@timestamp", "event", "host", "log", "lp", "message", "tags"}

// owns reports whether s writes top-level key k itself, shadowing a parsed
// or static field of that name.
func (s *source) owns(k string) bool {
	switch k {
	case "@timestamp", "event", "message":
		return true
	case "host":
		return len(s.host) > 0
	case "log":
		return len(s.path) > 0 || s.hasOffset
	case "lp":
		return s.truncated
	case "tags":
		return len(s.tags) > 0
	}
	return false
}

// appendJSON appends the body: what json.Marshal wrote for the equivalent
// map[string]any, keys sorted.
func (s *source) appendJSON(dst []byte) ([]byte, error) {
	var keyBuf [16]string
	keys := keyBuf[:0]
	for k := range s.extra {
		if !s.owns(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	open := len(dst)
	dst = append(dst, '{')
	var err error
	i := 0
	for _, k := range ownedKeys {
		if !s.owns(k) {
			continue
		}
		for ; i < len(keys) && keys[i] < k; i++ {
			if dst, err = s.appendExtra(dst, open, keys[i]); err != nil {
				return dst, err
			}
		}
		if len(dst) > open+1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, '"', ':')
		dst = s.appendOwned(dst, k)
	}
	for ; i < len(keys); i++ {
		if dst, err = s.appendExtra(dst, open, keys[i]); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func (s *source) appendExtra(dst []byte, open int, k string) ([]byte, error) {
	if len(dst) > open+1 {
		dst = append(dst, ',')
	}
	dst = appendJSONString(dst, k)
	dst = append(dst, ':')
	return appendJSONValue(dst, s.extra[k])
}

// appendOwned appends the value of owned key k.
func (s *source) appendOwned(dst []byte, k string) []byte {
	switch k {
	case "@timestamp":
		dst = append(dst, '"')
		dst = appendTimestamp(dst, s.timestamp)
		return append(dst, '"')
	case "event":
		dst = append(dst, '{')
		if !s.created.IsZero() {
			dst = append(dst, `"created":"`...)
			dst = appendTimestamp(dst, s.created)
			dst = append(dst, `",`...)
		}
		dst = append(dst, `"ingested":"`...)
		dst = appendTimestamp(dst, s.ingested)
		return append(dst, `"}`...)
	case "host":
		dst = append(dst, `{"name":`...)
		dst = appendJSONString(dst, s.host)
		return append(dst, '}')
	case "log":
		dst = append(dst, '{')
		if len(s.path) > 0 {
			dst = append(dst, `"file":{"path":`...)
			dst = appendJSONString(dst, s.path)
			dst = append(dst, '}')
		}
		if s.hasOffset {
			if len(s.path) > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"offset":`...)
			dst = strconv.AppendInt(dst, s.offset, 10)
		}
		return append(dst, '}')
	case "lp":
		return append(dst, `{"truncated":true}`...)
	case "message":
		return appendJSONString(dst, s.message)
	case "tags":
		dst = append(dst, '[')
		for i, t := range s.tags {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, t)
		}
		return append(dst, ']')
	}
	return dst
}

func unixMsHeader(v string) time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
