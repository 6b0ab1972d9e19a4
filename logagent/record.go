package logagent

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/flow"
)

// Record headers. Together with the value (the line) and the key (the file's
// record id prefix, so one file stays in one partition, in order) they are
// the whole contract between logagent and logtransfer. Until 2026-12 an
// lp.offset header repeated lp.id's suffix: 19 of ~450 bytes per line on
// the wire, and a sixth of sarama's header encoding (logtransfer reads
// either).
const (
	hdrID        = "lp.id"        // stable record id: <file id>-<byte offset of the line's first byte>
	hdrHost      = "lp.host"      // agent id
	hdrPath      = "lp.path"      // file path when read
	hdrTS        = "lp.ts"        // read time as fixed by the line's time anchor (anchors.go), Unix ms
	hdrTruncated = "lp.truncated" // "true" when the line was cut at max_line_bytes
	hdrFields    = "lp.fields"    // the task's static fields as a JSON object
)

// Header keys as bytes, made once: sarama wants []byte, and converting the
// constants per record would allocate five times per line.
var (
	keyID, keyHost, keyPath = []byte(hdrID), []byte(hdrHost), []byte(hdrPath)
	keyTS                   = []byte(hdrTS)
	keyTruncated, keyFields = []byte(hdrTruncated), []byte(hdrFields)
	valTrue                 = []byte("true")
)

// maxNumBytes is the most digits an int64 takes.
const maxNumBytes = 20

// maxHeaders is the most headers a record carries: id, host, path, ts,
// truncated, fields.
const maxHeaders = 6

// recordBuilder makes Kafka records for one file generation. Header values
// that do not change per line are encoded once, and so are their headers:
// the records of a file share them (sarama only reads a header).
type recordBuilder struct {
	topic string
	key   []byte
	// part caches the file's partition for a partition count: the hash
	// partitioner's answer changes only when the topic grows.
	part  partitionCache
	ts    *topicState // the topic's producer state, once known
	idPfx []byte
	// host, path and fields are the file's constant headers (fields nil
	// without static fields).
	host, path, fields *sarama.RecordHeader
	// tsHdr is the lp.ts header of lastTS: the lines of one read share their
	// time anchor, so a chunk's records share one immutable header.
	lastTS int64
	tsHdr  *sarama.RecordHeader
}

// truncatedHdr is the lp.truncated header every cut line shares.
var truncatedHdr = &sarama.RecordHeader{Key: keyTruncated, Value: valTrue}

func newRecordBuilder(topic, agent, fileID, path string, fields map[string]string) *recordBuilder {
	rb := &recordBuilder{
		topic: topic, key: []byte(fileID), idPfx: []byte(fileID + "-"),
		host: &sarama.RecordHeader{Key: keyHost, Value: []byte(agent)},
		path: &sarama.RecordHeader{Key: keyPath, Value: []byte(path)},
	}
	if len(fields) > 0 {
		v, _ := json.Marshal(fields)
		rb.fields = &sarama.RecordHeader{Key: keyFields, Value: v}
	}
	return rb
}

// record is one line in flight: the Kafka record, its headers, its ack
// metadata and its bytes. Records are pooled: at 35,000 lines/s and more,
// a fresh record and buffer per line were most of the agent's garbage, and
// the garbage collector a sixth of its CPU.
//
// Ownership: the harvester takes a record from build; from send until Kafka
// acknowledges its batch, the producer owns it (its partition queue, then the
// batch, retried as long as it takes); the producer's ack path (or a send
// that never reached the producer) gives it back with release.
//
// Size: everything read but not yet acknowledged is records, so their bytes
// are most of the agent's heap under load (at 35,000 lines/s ~3,500 of
// them). A record holds inline only the header whose value is its own
// (lp.id) and points to the shared ones (its file's, its read's lp.ts); its
// buffer is sized to its line: 704 bytes of heap (320 + 384 size classes)
// for a 256-byte line; 1,152 (640 + 512) before records were pooled, and
// 768 until lp.ts became a header shared by the records of a read.
type record struct {
	rec  sarama.Record
	id   sarama.RecordHeader // lp.id, the only header of the record's own
	hptr [maxHeaders]*sarama.RecordHeader

	tr   *flow.Tracker
	seq  uint64 // the event's number in tr
	end  int64  // the event's end offset
	size int64  // bytes taken from the budget
	wire int    // bytes the record adds to a batch, before compression
	tm   *taskMetrics
	link *taskLink // the task's share and health; nil in producer tests
	sent time.Time // when the line was read: the record's Kafka timestamp, the linger's start, and where the produce latency starts
	buf  []byte    // holds the value, then the id, offset and timestamp values
}

var recordPool = sync.Pool{New: func() any { return new(record) }}

// pooledBufMax is the largest buffer a released record keeps: a rare huge
// line must not pin its memory in the pool.
const pooledBufMax = 8 << 10

// release returns r to the pool. Nothing may use r, its Kafka record or the
// slices of its buffer afterwards.
func (r *record) release() {
	if cap(r.buf) > pooledBufMax {
		r.buf = nil
	}
	buf := r.buf[:0]
	*r = record{buf: buf}
	recordPool.Put(r)
}

// recordWireOverhead bounds what a record adds to a batch beyond its key,
// value and headers' bytes (lengths, deltas, attributes as varints).
const recordWireOverhead = 24

// build makes the record of ev, read at now and stamped ts (lp.ts, Unix
// milliseconds: its time anchor's, see anchors.go). The value is copied
// (ev.Data is only valid until the framer's next call) into the record's
// buffer, which also holds the id, offset and timestamp header values. The
// caller sets the ack fields.
func (rb *recordBuilder) build(ev Event, now time.Time, ts int64) *record {
	r := recordPool.Get().(*record)
	need := len(ev.Data) + len(rb.idPfx) + maxNumBytes
	if cap(r.buf) < need {
		// A quarter more, so that a pooled buffer fits most later lines
		// of a file whose lines vary.
		r.buf = make([]byte, 0, need+need/4)
	}
	buf := append(r.buf[:0], ev.Data...)
	value := buf[:len(ev.Data):len(ev.Data)]
	idStart := len(buf)
	buf = append(buf, rb.idPfx...)
	buf = strconv.AppendInt(buf, ev.Offset, 10)
	id := buf[idStart:len(buf):len(buf)]
	r.buf = buf
	if rb.tsHdr == nil || ts != rb.lastTS {
		// A new header: records in flight keep the old one.
		rb.lastTS = ts
		rb.tsHdr = &sarama.RecordHeader{Key: keyTS, Value: strconv.AppendInt(make([]byte, 0, maxNumBytes), ts, 10)}
	}
	r.id = sarama.RecordHeader{Key: keyID, Value: id}
	h := append(r.hptr[:0], &r.id, rb.host, rb.path, rb.tsHdr)
	if ev.Truncated {
		h = append(h, truncatedHdr)
	}
	if rb.fields != nil {
		h = append(h, rb.fields)
	}
	r.rec = sarama.Record{Key: rb.key, Value: value, Headers: h}
	r.wire = len(rb.key) + len(value) + recordWireOverhead
	for _, x := range h {
		r.wire += len(x.Key) + len(x.Value) + 2
	}
	r.sent = now
	return r
}

// value is the record's line.
func (r *record) value() []byte { return r.rec.Value }

// markTruncated sets the value to v, a prefix of it, and flags it cut.
func (r *record) markTruncated(v []byte) {
	r.wire -= len(r.rec.Value) - len(v)
	r.rec.Value = v
	for _, h := range r.rec.Headers {
		if h == truncatedHdr {
			return
		}
	}
	r.rec.Headers = append(r.rec.Headers, truncatedHdr)
	r.wire += len(keyTruncated) + len(valTrue) + 2
}
