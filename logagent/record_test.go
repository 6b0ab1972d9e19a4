package logagent

import (
	"bytes"
	"testing"
	"time"
)

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
