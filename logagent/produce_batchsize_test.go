package logagent

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestBatchSizerFollowsTheRate: a partition taking a few batches' worth a
// second cuts half batches, whether its bytes come in bursts or as a stream;
// one in a backlog cuts full ones; and it goes back to half batches once
// the backlog is over.
func TestBatchSizerFollowsTheRate(t *testing.T) {
	const full = 256 << 10
	start := time.Unix(1700000000, 0)
	var s batchSizer
	if got := s.limit(full); got != full/2 {
		t.Fatalf("new partition: limit %d, want %d", got, full/2)
	}
	// 3 MB/s in five bursts a second, for ten seconds (7,000 lines/s).
	now := start
	for range 50 {
		for range 5 {
			s.cut(now, 600<<10/5)
			now = now.Add(time.Millisecond)
		}
		now = now.Add(195 * time.Millisecond)
	}
	if got := s.limit(full); got != full/2 {
		t.Fatalf("3 MB/s in bursts: limit %d, want %d (recent %.0f)", got, full/2, s.recent)
	}
	// A backlog: 100 MB/s as a stream of full batches.
	for range 400 {
		s.cut(now, full)
		now = now.Add(full * time.Second / (100 << 20))
	}
	if got := s.limit(full); got != full {
		t.Fatalf("100 MB/s: limit %d, want %d (recent %.0f)", got, full, s.recent)
	}
	// Three seconds later the backlog is over: a trickle cuts half batches.
	now = now.Add(3 * time.Second)
	s.cut(now, 1000)
	if got := s.limit(full); got != full/2 {
		t.Fatalf("after the backlog: limit %d, want %d (recent %.0f)", got, full/2, s.recent)
	}
}

// TestPartitionCutsAtItsBatchSize: the queue's full mark and its cut use
// the sizer's limit, so a quiet partition's batches are half batch_bytes and
// a busy one's whole.
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
	if n := cut(); n != 5 {
		t.Fatalf("quiet partition: batch of %d records, want 5 (half of batch_bytes)", n)
	}
	for range 100 { // 500 bytes a millisecond: 500 KB/s, far above 32 batches a second
		now = now.Add(time.Millisecond)
		cut()
	}
	if n := cut(); n != 10 {
		t.Fatalf("busy partition: batch of %d records, want 10 (batch_bytes)", n)
	}
}
