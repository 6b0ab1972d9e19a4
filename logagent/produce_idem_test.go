package logagent

import (
	"context"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
)

// TestIdempotentProducerLeavesNoDuplicates: with idempotent = true, faults
// that make the producer send a batch again — one Kafka already appended —
// leave every line exactly once in Kafka, in order. Each case checks that
// its fault happened; without idempotence the timeout cases duplicate (see
// TestChaos kafka-produce-timeouts).
func TestIdempotentProducerLeavesNoDuplicates(t *testing.T) {
	for _, tt := range []struct {
		name    string
		brokers int
		// fault runs while lines first..first+n-1 are sent; it returns
		// once the fault happened and lines after it were sent.
		fault func(t *testing.T, fx *prodFixture, f *testFile) []string
	}{
		{name: "produce-timeout-applied", brokers: 1, fault: func(t *testing.T, fx *prodFixture, f *testFile) []string {
			return timedOut(t, fx, f, 3, 1000, 1000)
		}},
		{name: "leader-move", brokers: 2, fault: func(t *testing.T, fx *prodFixture, f *testFile) []string {
			c := fx.kafka.Cluster()
			part := f.rb.part.i
			sent := timedOut(t, fx, f, 1, 1000, 500)
			// The batch the broker kept is re-sent to the partition's new
			// leader, which knows its sequence numbers.
			to := 1 - c.LeaderFor(f.rb.topic, part)
			if err := c.MoveTopicPartition(f.rb.topic, part, to); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, fx.send(f, 1500, 500, 100)...)
			devstack.WaitFor(t, 30*time.Second, "the partition handed to its new leader", func() bool {
				return fx.p.topicList()[0].partition(f.rb).leader.Load() == fx.p.loop(to)
			})
			return sent
		}},
		{name: "broker-restart", brokers: 1, fault: func(t *testing.T, fx *prodFixture, f *testFile) []string {
			// Appended, answered with a timeout, and the broker goes down
			// before the retry: the retry meets a restarted broker.
			sent := timedOut(t, fx, f, 1, 1000, 500)
			fx.kafka.Stop()
			sent = append(sent, fx.send(f, 1500, 500, 100)...)
			if err := fx.kafka.Restart(); err != nil {
				t.Fatal(err)
			}
			return sent
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("integration test")
			}
			kafka, err := devstack.StartKafka(t.TempDir(), tt.brokers)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(kafka.Stop)
			fx := newProdFixture(t, kafka, func(k *conf.Kafka) { k.Idempotent = true })
			f := newTestFile("idem", "i")
			want := fx.send(f, 0, 1000, 100)
			fx.waitAcked(f)
			want = append(want, tt.fault(t, fx, f)...)
			want = append(want, fx.send(f, len(want), 500, 100)...)
			fx.waitAcked(f)
			recs := fx.read("idem", len(want))
			if dups := verify(t, recs, map[string][]string{"i": want}); dups != 0 {
				t.Errorf("%d duplicates in Kafka with the idempotent producer", dups)
			}
			if fx.failed("unavailable") == 0 {
				t.Error("no batch was refused: the fault did not happen")
			}
			t.Logf("%s: %d lines, %d records in Kafka, %v failed sends", tt.name, len(want), len(recs), fx.failed("unavailable"))
		})
	}
}

// timedOut sends lines first..first+n-1 of f while the broker appends the
// next hits produce requests but answers them REQUEST_TIMED_OUT (as when the
// replicas missed the request's timeout), and returns once it did.
func timedOut(t *testing.T, fx *prodFixture, f *testFile, hits, first, n int) []string {
	t.Helper()
	h, err := fx.kafka.TimeOutProduces(f.rb.topic, hits)
	if err != nil {
		t.Fatal(err)
	}
	sent := fx.send(f, first, n, 100)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := h.Wait(ctx, hits); err != nil {
		t.Fatalf("waiting for %d produce requests to time out: %v", hits, err)
	}
	return sent
}
