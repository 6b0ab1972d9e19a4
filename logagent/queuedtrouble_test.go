package logagent

import (
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TestQueuedTaskShowsItsPartitionsTrouble: a task whose lines wait in a
// partition's queue behind another task's failing batch cannot ship either,
// and its status says why, not "running".
//
// Before, only the tasks with records in the failing batch were told: the
// batch is retried as it is, so a task that came later stayed "running"
// with nothing acked for as long as the trouble lasted.
func TestQueuedTaskShowsItsPartitionsTrouble(t *testing.T) {
	e := newEnvWith(t, devstack.NewKafkaManualTopics)
	c := e.kafka.Cluster()
	if err := c.CreateTopic("slow", 1, nil); err != nil { // one partition: the two files share its queue
		t.Fatal(err)
	}
	if _, err := e.kafka.FailProduces("slow", kerr.NotEnoughReplicas); err != nil {
		t.Fatal(err)
	}
	e.start(e.config())
	troubled := func(task string) bool {
		st, _ := e.status("agent-1")
		for _, ts := range st.Tasks {
			if ts.Name == task {
				return ts.Degraded() && strings.Contains(ts.Reason, "NOT_ENOUGH_REPLICAS")
			}
		}
		return false
	}

	writeLines(t, join(e.logs, "a.log"), "a", 0, 10)
	e.putTask("agent-1", "a", Task{Path: join(e.logs, "a.log"), Topic: "slow"})
	devstack.WaitFor(t, 20*time.Second, "task a's batch failing in its status", func() bool { return troubled("a") })

	writeLines(t, join(e.logs, "b.log"), "b", 0, 10)
	e.putTask("agent-1", "b", Task{Path: join(e.logs, "b.log"), Topic: "slow"})
	devstack.WaitFor(t, 20*time.Second, "task b, queued behind a's batch, showing the trouble", func() bool { return troubled("b") })
}
