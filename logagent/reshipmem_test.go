package logagent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TestStuckReshipsHoldNoBuffers: reships that cannot send — half to a
// topic that does not exist, half to one whose produce requests all
// fail, so their bytes stay in flight — hold their records within the
// budget and nothing else: no read buffer, no framer chunk.
//
// Before, each kept a 128 KiB read buffer of its own and its framer's
// chunk (up to 256 KiB) while it waited: 40 reships held ~15 MiB outside
// every bound.
func TestStuckReshipsHoldNoBuffers(t *testing.T) {
	e := newEnvWith(t, devstack.NewKafkaManualTopics)
	for _, topic := range []string{"good", "slow"} {
		if err := e.kafka.CreateTopic(topic); err != nil {
			t.Fatal(err)
		}
	}
	path := join(e.logs, "app.log")
	const lines = 10_000 // ~550 KB: every reship reads whole chunks
	offs := lineOffsets(writeLines(t, path, "app", 0, lines))
	e.putTask("agent-1", "app", Task{Path: path, Topic: "good"})
	cfg := e.config()
	cfg.Agent.MaxInflightBytes = 2 << 20
	a := e.start(cfg)
	e.readDistinct("good", lines, 30*time.Second)
	waitSaved(t, a, path, offs[lines])
	// NOT_ENOUGH_REPLICAS appends nothing (a timeout would append each
	// retry: heap of the in-process broker, not of the agent).
	if _, err := e.kafka.FailProduces("slow", kerr.NotEnoughReplicas); err != nil {
		t.Fatal(err)
	}
	base := heapInUse()

	const reships = 40
	for i := range reships {
		topic := "slow"
		if i%2 == 1 {
			topic = "missing"
		}
		e.putReship(fmt.Sprintf("r%02d", i), Reship{Path: path, Topic: topic})
	}
	var st map[string]ReshipStatus
	if !devstack.Poll(30*time.Second, func() bool {
		st = reshipsOf(t, a)
		var slowSent int64
		for i := range reships {
			r, ok := st[fmt.Sprintf("r%02d", i)]
			if !ok || r.State != ReshipRunning || r.Acked != 0 {
				return false
			}
			if i%2 == 1 && !strings.Contains(r.Reason, `"missing"`) {
				return false
			}
			slowSent += r.Sent
		}
		// The slow reships share one partition: some fill its queue,
		// the others wait for room without having sent a line.
		return slowSent > 0
	}) {
		t.Fatalf("not every reship is running and stuck on its topic: %+v", st)
	}
	// What may stay: the records in flight, within the 2 MiB budget.
	const bound = 4 << 20
	var held uint64
	if !devstack.Poll(10*time.Second, func() bool {
		held = heapInUse() - min(base, heapInUse())
		return held < bound
	}) {
		t.Errorf("%d stuck reships hold %d KiB of heap, want under %d KiB (the budget is 2 MiB)", reships, held>>10, bound>>10)
	}
	t.Logf("%d stuck reships: heap grew %d KiB", reships, held>>10)
}
