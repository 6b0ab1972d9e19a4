package logagent

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/IBM/sarama"
)

// Record headers. Together with the value (the line) and the key (the file's
// record id prefix, so one file stays in one partition, in order) they are
// the whole contract between logagent and logtransfer.
const (
	hdrID        = "lp.id"        // stable record id: <file id>-<byte offset>
	hdrHost      = "lp.host"      // agent id
	hdrPath      = "lp.path"      // file path when read
	hdrOffset    = "lp.offset"    // byte offset of the line's first byte
	hdrTS        = "lp.ts"        // read time, Unix milliseconds
	hdrTruncated = "lp.truncated" // "true" when the line was cut at max_line_bytes
	hdrFields    = "lp.fields"    // the task's static fields as a JSON object
)

// recordBuilder makes Kafka records for one file generation. Header values
// that do not change per line are encoded once.
type recordBuilder struct {
	topic  string
	key    sarama.ByteEncoder
	idPfx  []byte
	host   []byte
	path   []byte
	fields []byte
}

func newRecordBuilder(topic, agent, fileID, path string, fields map[string]string) *recordBuilder {
	rb := &recordBuilder{
		topic: topic, key: sarama.ByteEncoder(fileID), idPfx: []byte(fileID + "-"),
		host: []byte(agent), path: []byte(path),
	}
	if len(fields) > 0 {
		rb.fields, _ = json.Marshal(fields)
	}
	return rb
}

// build makes the record of ev. The value is copied: ev.Data is only valid
// until the framer's next call.
func (rb *recordBuilder) build(ev Event, now time.Time, meta *inflight) *sarama.ProducerMessage {
	off := strconv.AppendInt(nil, ev.Offset, 10)
	id := append(append(make([]byte, 0, len(rb.idPfx)+len(off)), rb.idPfx...), off...)
	n := 5
	if ev.Truncated {
		n++
	}
	if rb.fields != nil {
		n++
	}
	h := make([]sarama.RecordHeader, 0, n)
	h = append(h,
		sarama.RecordHeader{Key: []byte(hdrID), Value: id},
		sarama.RecordHeader{Key: []byte(hdrHost), Value: rb.host},
		sarama.RecordHeader{Key: []byte(hdrPath), Value: rb.path},
		sarama.RecordHeader{Key: []byte(hdrOffset), Value: off},
		sarama.RecordHeader{Key: []byte(hdrTS), Value: strconv.AppendInt(nil, now.UnixMilli(), 10)},
	)
	if ev.Truncated {
		h = append(h, sarama.RecordHeader{Key: []byte(hdrTruncated), Value: []byte("true")})
	}
	if rb.fields != nil {
		h = append(h, sarama.RecordHeader{Key: []byte(hdrFields), Value: rb.fields})
	}
	return &sarama.ProducerMessage{
		Topic:     rb.topic,
		Key:       rb.key,
		Value:     sarama.ByteEncoder(append([]byte(nil), ev.Data...)),
		Headers:   h,
		Timestamp: now,
		Metadata:  meta,
	}
}
