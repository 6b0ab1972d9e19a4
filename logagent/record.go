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

// Header keys as bytes, made once: sarama wants []byte, and converting the
// constants per record would allocate five times per line.
var (
	keyID, keyHost, keyPath = []byte(hdrID), []byte(hdrHost), []byte(hdrPath)
	keyOffset, keyTS        = []byte(hdrOffset), []byte(hdrTS)
	keyTruncated, keyFields = []byte(hdrTruncated), []byte(hdrFields)
	valTrue                 = []byte("true")
)

// maxNumBytes is the most digits an int64 takes.
const maxNumBytes = 20

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

// record is one line in flight: the sarama message, its headers and its ack
// metadata in a single allocation.
type record struct {
	msg  sarama.ProducerMessage
	in   inflight
	hdrs [7]sarama.RecordHeader
}

// build makes the record of ev. The value is copied (ev.Data is only valid
// until the framer's next call) into one buffer that also holds the id,
// offset and timestamp header values.
func (rb *recordBuilder) build(ev Event, now time.Time, in inflight) *sarama.ProducerMessage {
	r := &record{in: in}
	buf := make([]byte, 0, len(ev.Data)+len(rb.idPfx)+2*maxNumBytes)
	buf = append(buf, ev.Data...)
	value := buf[:len(ev.Data):len(ev.Data)]
	idStart := len(buf)
	buf = append(buf, rb.idPfx...)
	offStart := len(buf)
	buf = strconv.AppendInt(buf, ev.Offset, 10)
	id, off := buf[idStart:len(buf):len(buf)], buf[offStart:len(buf):len(buf)]
	tsStart := len(buf)
	buf = strconv.AppendInt(buf, now.UnixMilli(), 10)
	ts := buf[tsStart:]

	h := append(r.hdrs[:0],
		sarama.RecordHeader{Key: keyID, Value: id},
		sarama.RecordHeader{Key: keyHost, Value: rb.host},
		sarama.RecordHeader{Key: keyPath, Value: rb.path},
		sarama.RecordHeader{Key: keyOffset, Value: off},
		sarama.RecordHeader{Key: keyTS, Value: ts},
	)
	if ev.Truncated {
		h = append(h, sarama.RecordHeader{Key: keyTruncated, Value: valTrue})
	}
	if rb.fields != nil {
		h = append(h, sarama.RecordHeader{Key: keyFields, Value: rb.fields})
	}
	r.msg = sarama.ProducerMessage{
		Topic:     rb.topic,
		Key:       rb.key,
		Value:     sarama.ByteEncoder(value),
		Headers:   h,
		Timestamp: now,
		Metadata:  &r.in,
	}
	return &r.msg
}
