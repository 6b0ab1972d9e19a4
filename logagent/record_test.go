package logagent

import (
	"bytes"
	"testing"
	"time"
	"unsafe"
)

// TestRecordFitsItsSizeClass: a record is most of the agent's heap under
// load (record.go), and a field more than fits 320 bytes moves every record
// to the next size class, 352.
func TestRecordFitsItsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(record{}); n > 320 {
		t.Fatalf("a record takes %d bytes, more than the 320-byte size class", n)
	}
}

// TestSharedTimestampHeaderIsNeverRewritten: the records of one read share
// their lp.ts header; a later read's new timestamp must not change the
// header of records still in flight.
func TestSharedTimestampHeaderIsNeverRewritten(t *testing.T) {
	rb := newRecordBuilder("t", "agent", "fid", "/p.log", nil)
	now := time.UnixMilli(1700000000123)
	ts := func(r *record) string {
		for _, h := range r.rec.Headers {
			if string(h.Key) == hdrTS {
				return string(h.Value)
			}
		}
		return ""
	}
	a := rb.build(Event{Data: []byte("a"), Offset: 0, End: 2}, now, 1000)
	b := rb.build(Event{Data: []byte("b"), Offset: 2, End: 4}, now, 1000)
	c := rb.build(Event{Data: []byte("c"), Offset: 4, End: 6}, now, 2000)
	if ts(a) != "1000" || ts(b) != "1000" || ts(c) != "2000" {
		t.Fatalf("lp.ts %q %q %q, want 1000 1000 2000", ts(a), ts(b), ts(c))
	}
}

// TestPooledRecordIsRebuiltWhole: a record taken from the pool carries
// nothing of its previous line (value, headers, truncation flag).
func TestPooledRecordIsRebuiltWhole(t *testing.T) {
	rb := newRecordBuilder("t", "agent", "fid", "/p.log", nil)
	now := time.UnixMilli(1700000000123)
	long := rb.build(Event{Data: bytes.Repeat([]byte("x"), 300), Offset: 10, End: 311, Truncated: true}, now, now.UnixMilli())
	long.end = 311
	long.release()
	r := rb.build(Event{Data: []byte("short"), Offset: 311, End: 317}, now, now.UnixMilli())
	if v := r.value(); string(v) != "short" {
		t.Fatalf("value %q", v)
	}
	got := map[string]string{}
	for _, h := range r.rec.Headers {
		got[string(h.Key)] = string(h.Value)
	}
	want := map[string]string{hdrID: "fid-311", hdrHost: "agent", hdrPath: "/p.log", hdrTS: "1700000000123"}
	if len(got) != len(want) {
		t.Fatalf("headers %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("header %s = %q, want %q", k, got[k], w)
		}
	}
	if r.end != 0 || r.tr != nil || !r.sent.Equal(now) || string(r.rec.Key) != "fid" {
		t.Errorf("record %+v", r)
	}
}

// BenchmarkBuildRelease is the agent's per-line record cost: with the pool
// it allocates nothing.
func BenchmarkBuildRelease(b *testing.B) {
	rb := newRecordBuilder("topic", "agent-1", "0123456789abcdef0123", "/var/log/app/app.log", nil)
	line := bytes.Repeat([]byte("a"), 250)
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rb.build(Event{Data: line, Offset: int64(i) * 251, End: int64(i+1) * 251}, now, now.UnixMilli()).release()
	}
}
