package logagent

import (
	"testing"

	"github.com/IBM/sarama"
)

// The contiguous-position logic itself is flow.Tracker's (tested there);
// these tests cover what the agent adds: records sarama gave back.
func TestAckTrackerFailures(t *testing.T) {
	a := newAckTracker(100)
	a.add(110)
	a.add(120)
	a.add(130)
	m1 := &sarama.ProducerMessage{Metadata: &inflight{end: 110}}
	a.fail(110, m1)
	if msgs, _ := a.takeFailed(); msgs != nil {
		t.Fatal("failed records handed out while others are still in flight")
	}
	ch := a.changedCh()
	a.ack(130) // acked behind the failure: no advance, but the waiter must wake
	select {
	case <-ch:
	default:
		t.Fatal("ack behind a failure did not wake the waiter")
	}
	m2 := &sarama.ProducerMessage{Metadata: &inflight{end: 120}}
	a.fail(120, m2)
	msgs, _ := a.takeFailed()
	if len(msgs) != 2 || msgs[0] != m1 || msgs[1] != m2 {
		t.Fatalf("takeFailed = %v, want [m1 m2] in file order", msgs)
	}
	if off, _ := a.Position(); off != 100 {
		t.Fatalf("position moved past failed records: %d", off)
	}
	// Re-sent records count as in flight again until acked.
	a.fail(110, m1)
	if msgs, _ := a.takeFailed(); msgs != nil {
		t.Fatal("handed out while a re-sent record is still in flight")
	}
	a.ack(120)
	if msgs, _ := a.takeFailed(); len(msgs) != 1 {
		t.Fatalf("takeFailed = %v, want [m1]", msgs)
	}
	a.ack(110)
	if off, n := a.Position(); off != 130 || n != 0 {
		t.Fatalf("Position() = %d, %d; want 130, 0", off, n)
	}
}

func TestAckTrackerUnadd(t *testing.T) {
	a := newAckTracker(0)
	a.add(5)
	a.ack(5)
	a.add(9)
	a.unadd(9) // never sent
	if off, n := a.Position(); off != 5 || n != 0 {
		t.Fatalf("Position() = %d, %d; want 5, 0", off, n)
	}
	if msgs, _ := a.takeFailed(); msgs != nil {
		t.Fatal("nothing failed")
	}
}
