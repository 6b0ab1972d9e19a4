package logagent

import (
	"encoding/json"
	"strconv"
	"sync"
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
	key    *bytesEncoder
	idPfx  []byte
	host   []byte
	path   []byte
	fields []byte
}

func newRecordBuilder(topic, agent, fileID, path string, fields map[string]string) *recordBuilder {
	rb := &recordBuilder{
		topic: topic, key: &bytesEncoder{b: []byte(fileID)}, idPfx: []byte(fileID + "-"),
		host: []byte(agent), path: []byte(path),
	}
	if len(fields) > 0 {
		rb.fields, _ = json.Marshal(fields)
	}
	return rb
}

// bytesEncoder is sarama.ByteEncoder behind a pointer: storing a slice in
// the Encoder interface boxes it (an allocation per record), storing a
// pointer into the record does not.
type bytesEncoder struct{ b []byte }

func (e *bytesEncoder) Encode() ([]byte, error) { return e.b, nil }
func (e *bytesEncoder) Length() int             { return len(e.b) }

// record is one line in flight: the sarama message, its headers, its ack
// metadata and its bytes. Records are pooled: at 35,000 lines/s and more,
// a fresh record and buffer per line were most of the agent's garbage, and
// the garbage collector a sixth of its CPU.
//
// Ownership: the harvester takes a record from build; from send until sarama
// acknowledges it, sarama and the ack path own it; the successes loop (or a
// send that never reached sarama) gives it back with release. A record
// sarama gave back through Errors is re-sent as a fresh ProducerMessage that
// points at this record's ack metadata and bytes, so it is released only
// once that copy is acknowledged.
type record struct {
	msg  sarama.ProducerMessage
	in   inflight
	hdrs [7]sarama.RecordHeader
	val  bytesEncoder
	buf  []byte // holds the value, then the id, offset and timestamp values
}

var recordPool = sync.Pool{New: func() any { return new(record) }}

// pooledBufMax is the largest buffer a released record keeps: a rare huge
// line must not pin its memory in the pool.
const pooledBufMax = 8 << 10

// release returns r to the pool. Nothing may use r, its message or the
// slices of its buffer afterwards.
func (r *record) release() {
	if cap(r.buf) > pooledBufMax {
		r.buf = nil
	}
	buf := r.buf[:0]
	*r = record{buf: buf}
	recordPool.Put(r)
}

// build makes the record of ev. The value is copied (ev.Data is only valid
// until the framer's next call) into the record's buffer, which also holds
// the id, offset and timestamp header values.
func (rb *recordBuilder) build(ev Event, now time.Time, in inflight) *sarama.ProducerMessage {
	r := recordPool.Get().(*record)
	in.rec = r
	r.in = in
	need := len(ev.Data) + len(rb.idPfx) + 2*maxNumBytes
	if cap(r.buf) < need {
		// Rounded up so that a pooled buffer fits most later lines.
		r.buf = make([]byte, 0, max(need, 512))
	}
	buf := append(r.buf[:0], ev.Data...)
	value := buf[:len(ev.Data):len(ev.Data)]
	idStart := len(buf)
	buf = append(buf, rb.idPfx...)
	offStart := len(buf)
	buf = strconv.AppendInt(buf, ev.Offset, 10)
	id, off := buf[idStart:len(buf):len(buf)], buf[offStart:len(buf):len(buf)]
	tsStart := len(buf)
	buf = strconv.AppendInt(buf, now.UnixMilli(), 10)
	ts := buf[tsStart:]
	r.buf = buf

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
	r.val.b = value
	r.msg = sarama.ProducerMessage{
		Topic:     rb.topic,
		Key:       rb.key,
		Value:     &r.val,
		Headers:   h,
		Timestamp: now,
		Metadata:  &r.in,
	}
	return &r.msg
}
