package logagent

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestBatchSizerFollowsTheRate: a partition taking a few batches' worth a
// second cuts half batches, whether its bytes come in bursts or as a stream;
// a quiet one and one in a backlog cut full ones; and a backlog's end brings
// back half batches, then full ones once it is quiet.
func TestBatchSizerFollowsTheRate(t *testing.T) {
	const full = 256 << 10
	var s batchSizer
	if got := s.limit(full); got != full {
		t.Fatalf("new partition: limit %d, want %d", got, full)
	}
	now := time.Unix(1700000000, 0)
	// bursts feeds rate bytes a second in five bursts of five cuts, for
	// ten seconds (a followed file read every 200ms).
	bursts := func(rate int) {
		for range 50 {
			for range 5 {
				s.cut(now, rate/25)
				now = now.Add(time.Millisecond)
			}
			now = now.Add(195 * time.Millisecond)
		}
	}
	want := func(what string, limit int) {
		t.Helper()
		if got := s.limit(full); got != limit {
			t.Fatalf("%s: limit %d, want %d (recent %.0f)", what, got, limit, s.recent)
		}
	}
	bursts(750 << 10) // 1,750 lines/s
	want("750 KB/s in bursts", full)
	bursts(3 << 20) // 7,000 lines/s
	want("3 MB/s in bursts", full/2)
	// A backlog: 100 MB/s as a stream of full batches.
	for range 400 {
		s.cut(now, full)
		now = now.Add(full * time.Second / (100 << 20))
	}
	want("100 MB/s", full)
	now = now.Add(3 * time.Second)
	s.cut(now, 1000)
	want("3 s after the backlog", full/2)
	now = now.Add(10 * time.Second)
	s.cut(now, 1000)
	want("13 s after the backlog", full)
}

// TestPartitionCutsAtItsBatchSize: the queue's full mark and its cut use
// the sizer's limit, so a following partition's batches are half
// batch_bytes and a busy one's whole.
func TestPartitionCutsAtItsBatchSize(t *testing.T) {
	p := &producer{cfg: sarama.NewConfig(), batchBytes: 1000, queueBytes: 4000, linger: time.Hour, refresh: make(chan struct{}, 1)}
	q := &partQueue{topic: "t"}
	now := time.Unix(1700000000, 0)
	cut := func() int {
		t.Helper()
		for q.bytes < 1000 {
			if space := q.tryEnqueue(p, &record{wire: 100, sent: now}); space != nil {
				t.Fatal("queue full")
			}
		}
		b, _, _ := q.take(p, now, false)
		if b == nil {
			t.Fatal("a full batch was not due")
		}
		q.done(b, false, time.Time{})
		return len(b.recs)
	}
	for range 50 { // 10 KB/s: between 5 and 32 batches a second
		cut()
		now = now.Add(100 * time.Millisecond)
	}
	if n := cut(); n != 5 {
		t.Fatalf("following partition: batch of %d records, want 5 (half of batch_bytes)", n)
	}
	for range 100 { // 500 bytes a millisecond: 500 KB/s, far above 32 batches a second
		now = now.Add(time.Millisecond)
		cut()
	}
	if n := cut(); n != 10 {
		t.Fatalf("busy partition: batch of %d records, want 10 (batch_bytes)", n)
	}
}
