package logagent

import (
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// collectFixture is one broker loop leading every partition of one topic,
// without Kafka: collect is called directly and batches are settled by hand.
type collectFixture struct {
	t     *testing.T
	p     *producer
	l     *brokerLoop
	parts []*partQueue
}

func newCollectFixture(t *testing.T, partitions, batchBytes int) *collectFixture {
	p := &producer{
		cfg: sarama.NewConfig(), batchBytes: batchBytes, requestBytes: batchBytes,
		queueBytes: 1 << 30, linger: time.Hour,
	}
	ts := newTopicState("t")
	parts := ts.grow(partitions)
	p.tlist.Store(&[]*topicState{ts})
	l := newBrokerLoop(p, 1)
	for _, q := range parts {
		q.leader.Store(l)
	}
	return &collectFixture{t: t, p: p, l: l, parts: parts}
}

// fill queues n records of wire bytes each in partition i.
func (fx *collectFixture) fill(i, n, wire int) {
	for range n {
		if space := fx.parts[i].tryEnqueue(fx.p, &record{wire: wire, sent: time.Now()}); space != nil {
			fx.t.Fatalf("partition %d queue full", i)
		}
	}
}

// collect returns the partitions of the next request, acking its batches.
func (fx *collectFixture) collect() (ids []int32, bytes int) {
	batches, _ := fx.l.collect()
	for _, b := range batches {
		ids = append(ids, b.q.id)
		bytes += b.bytes
		b.q.done(b, false, time.Time{})
	}
	return ids, bytes
}

// TestCollectCapsRequestBytes: with every partition due at once, a request
// takes batches only until it holds requestBytes (so it stays below two
// batches), and the partitions it left out go first in the next: a
// partition kept due all the time does not keep the others waiting.
func TestCollectCapsRequestBytes(t *testing.T) {
	const batch, wire = 1000, 90 // a full batch: 11 records, 990 bytes
	fx := newCollectFixture(t, 4, batch)
	for i := range 4 {
		fx.fill(i, 22, wire) // two full batches each
	}
	served := map[int32]int{}
	for round := range 4 {
		ids, bytes := fx.collect()
		t.Logf("request %d: partitions %v, %d bytes", round, ids, bytes)
		if len(ids) == 0 {
			t.Fatalf("request %d: nothing collected with batches due", round)
		}
		if bytes >= 2*batch {
			t.Fatalf("request %d holds %d bytes (partitions %v), want < %d", round, bytes, ids, 2*batch)
		}
		for _, id := range ids {
			served[id]++
			fx.fill(int(id), 11, wire) // it is due again at once
		}
		if round == 1 && len(served) != 4 {
			t.Fatalf("after two requests only partitions %v were sent", served)
		}
	}
	for i := range int32(4) {
		if served[i] != 2 {
			t.Errorf("partition %d sent %d batches in 4 requests, want 2: %v", i, served[i], served)
		}
	}
}

// TestCollectTakesSmallBatchesTogether: below requestBytes a request still
// carries the next batch of every partition with records waiting.
func TestCollectTakesSmallBatchesTogether(t *testing.T) {
	fx := newCollectFixture(t, 4, 1000)
	fx.fill(0, 5, 100)
	fx.parts[0].markFlush() // due: its file has nothing more for now
	for i := 1; i < 4; i++ {
		fx.fill(i, 1, 100) // lingering
	}
	ids, bytes := fx.collect()
	if len(ids) != 4 || bytes != 800 {
		t.Fatalf("request of partitions %v, %d bytes; want all four, 800 bytes", ids, bytes)
	}
}
