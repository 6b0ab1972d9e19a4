package logtransfer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
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
	Body  []byte
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
func docID(m *sarama.ConsumerMessage, h map[string]string) string {
	if id := h[hdrID]; id != "" {
		return id
	}
	return m.Topic + "-" + strconv.FormatInt(int64(m.Partition), 10) + "-" + strconv.FormatInt(m.Offset, 10)
}

func headerMap(m *sarama.ConsumerMessage) map[string]string {
	h := make(map[string]string, len(m.Headers))
	for _, x := range m.Headers {
		if x != nil {
			h[string(x.Key)] = string(x.Value)
		}
	}
	return h
}

// build makes the document of m. It never fails: what cannot be parsed is
// indexed raw and tagged.
//
// Precedence of top-level fields, lowest first: the agent's static fields
// (lp.fields), the parsed fields, then the fields logtransfer owns
// (@timestamp, message, host, log, event, lp, tags). The raw line is always
// in message, so a parsed field shadowed by an owned one loses nothing.
func (b *docBuilder) build(m *sarama.ConsumerMessage) document {
	h := headerMap(m)
	src := map[string]any{}
	var tags []string
	if f := h[hdrFields]; f != "" {
		var static map[string]any
		if err := json.Unmarshal([]byte(f), &static); err != nil {
			tags = append(tags, tagFieldsError)
		}
		for k, v := range static {
			src[k] = v
		}
	}
	parsed, ok := b.parse(m.Value)
	if !ok {
		tags = append(tags, tagParseError)
	}
	for k, v := range parsed {
		src[k] = v
	}

	readAt := unixMsHeader(h[hdrTS])
	ts := readAt
	if ts.IsZero() {
		ts = m.Timestamp
	}
	if b.route.TimeField != "" && ok {
		if t, found := parseTime(parsed[b.route.TimeField], b.route.TimeLayout, b.loc); found {
			ts = t
		} else {
			tags = append(tags, tagTimeParseError)
		}
	}
	src["@timestamp"] = ts.UTC().Format(timestampLayout)
	src["message"] = string(m.Value)
	src["event"] = map[string]any{"ingested": b.now().UTC().Format(timestampLayout)}
	if v := h[hdrHost]; v != "" {
		src["host"] = map[string]any{"name": v}
	}
	logf := map[string]any{}
	if v := h[hdrPath]; v != "" {
		logf["file"] = map[string]any{"path": v}
	}
	if v, err := strconv.ParseInt(h[hdrOffset], 10, 64); err == nil {
		logf["offset"] = v
	}
	if len(logf) > 0 {
		src["log"] = logf
	}
	if h[hdrTruncated] == "true" {
		src["lp"] = map[string]any{"truncated": true}
	}
	if len(tags) > 0 {
		src["tags"] = tags
	}
	body, err := json.Marshal(src)
	if err != nil {
		// Only a parsed value JSON cannot encode gets here (none can:
		// every value came from JSON or a string); index the line raw.
		body, _ = json.Marshal(map[string]any{"@timestamp": src["@timestamp"], "message": src["message"], "tags": []string{tagParseError}})
	}
	return document{Index: b.index.render(ts.In(b.loc)), ID: docID(m, h), Body: body, ReadAt: readAt}
}

func unixMsHeader(v string) time.Time {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || v == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
