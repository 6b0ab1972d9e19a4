package logagent

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func TestAckTrackerContiguous(t *testing.T) {
	tests := []struct {
		name    string
		acks    []int // indexes of events acked, in order
		want    int64
		pending int
	}{
		{"in order", []int{0, 1, 2}, 30, 0},
		{"gap holds the position", []int{0, 2}, 10, 2},
		{"gap filled", []int{2, 1, 0}, 30, 0},
		{"duplicate ack", []int{0, 0, 1}, 20, 1},
		{"none", nil, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAckTracker(0)
			seqs := []uint64{a.add(10), a.add(20), a.add(30)}
			for _, i := range tt.acks {
				a.ack(seqs[i])
			}
			got, n := a.position()
			if got != tt.want || n != tt.pending {
				t.Errorf("position() = %d, %d; want %d, %d", got, n, tt.want, tt.pending)
			}
		})
	}
}

func TestAckTrackerFailures(t *testing.T) {
	a := newAckTracker(100)
	s1, s2, s3 := a.add(110), a.add(120), a.add(130)
	m1 := &sarama.ProducerMessage{Metadata: &inflight{seq: s1}}
	a.fail(s1, m1)
	if msgs, _ := a.takeFailed(); msgs != nil {
		t.Fatal("failed records handed out while others are still in flight")
	}
	ch := a.waitCh()
	a.ack(s3) // acked behind the failure: no advance, but the waiter must wake
	select {
	case <-ch:
	default:
		t.Fatal("ack behind a failure did not wake the waiter")
	}
	m2 := &sarama.ProducerMessage{Metadata: &inflight{seq: s2}}
	a.fail(s2, m2)
	msgs, _ := a.takeFailed()
	if len(msgs) != 2 || msgs[0] != m1 || msgs[1] != m2 {
		t.Fatalf("takeFailed = %v, want [m1 m2] in order", msgs)
	}
	if off, _ := a.position(); off != 100 {
		t.Fatalf("position moved past failed records: %d", off)
	}
	a.ack(s2)
	a.ack(s1)
	if off, n := a.position(); off != 130 || n != 0 {
		t.Fatalf("position() = %d, %d; want 130, 0", off, n)
	}
}

func TestAckTrackerUnadd(t *testing.T) {
	a := newAckTracker(0)
	a.ack(a.add(5))
	s := a.add(9)
	a.unadd(s) // never sent
	if off, n := a.position(); off != 5 || n != 0 {
		t.Fatalf("position() = %d, %d; want 5, 0", off, n)
	}
}

func TestBudget(t *testing.T) {
	b := newBudget(100)
	ctx := t.Context()
	if ok, err := b.acquire(ctx, 60, nil); !ok || err != nil {
		t.Fatal(ok, err)
	}
	got := make(chan bool)
	go func() {
		ok, _ := b.acquire(ctx, 60, nil)
		got <- ok
	}()
	select {
	case <-got:
		t.Fatal("acquire past the budget did not block")
	case <-time.After(20 * time.Millisecond):
	}
	b.release(60)
	if !<-got {
		t.Fatal("acquire not granted after release")
	}
	// Larger than the whole budget: allowed only when nothing is in flight.
	b.release(60)
	if ok, _ := b.acquire(ctx, 500, nil); !ok {
		t.Fatal("oversized acquire refused with an empty budget")
	}
	wake := make(chan struct{})
	close(wake)
	if ok, err := b.acquire(ctx, 1, wake); ok || err != nil {
		t.Fatalf("acquire with a closed wake = %v, %v; want false, nil", ok, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.acquire(cctx, 1, nil); err == nil {
		t.Fatal("acquire on a cancelled context succeeded")
	}
}
