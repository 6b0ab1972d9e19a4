package logagent

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestMissingTopicStallsOnlyItsTask: on a cluster that does not create
// topics, a task whose topic does not exist, with more files than the agent
// has read slots, must not stop another task: a new file of the healthy task
// ships at once while the broken task waits. The broken task's reason is in
// the status key and the /readyz body within 10 s; once the topic is
// created, every line of the broken task arrives, once; and the whole case
// logs a bounded number of lines (no WARN per file or per batch).
//
// Before tasks were failure domains the 40 broken harvesters held all 32
// read slots while they waited on Kafka, so the healthy file shipped nothing
// (the read below timed out) and each broken harvester logged its own WARN.
func TestMissingTopicStallsOnlyItsTask(t *testing.T) {
	e := newEnvWith(t, devstack.NewKafkaManualTopics)
	if err := e.kafka.CreateTopic("good"); err != nil {
		t.Fatal(err)
	}
	brokenDir, goodDir := join(e.logs, "broken"), join(e.logs, "good")
	for _, d := range []string{brokenDir, goodDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const brokenFiles, perFile = 40, 200
	want := map[string][]string{}
	for i := range brokenFiles {
		tag := fmt.Sprintf("b%02d", i)
		want[tag] = writeLines(t, join(brokenDir, tag+".log"), tag, 0, perFile)
	}
	e.putTask("agent-1", "broken", Task{Path: join(brokenDir, "*.log"), Topic: "missing"})
	e.putTask("agent-1", "healthy", Task{Path: join(goodDir, "*.log"), Topic: "good"})
	logs := &levelCounter{w: devstack.TestLog{TB: t}}
	a := e.startWithLog(e.config(), logs, slog.LevelInfo)

	// The broken task's reason reaches the status key and /readyz; the
	// missing topic becomes an operator's problem (failing) after its grace.
	start := time.Now()
	devstack.WaitFor(t, 10*time.Second, "the broken task's reason in the status key", func() bool {
		st, ok := e.status("agent-1")
		if !ok {
			return false
		}
		for _, ts := range st.Tasks {
			if ts.Name == "broken" && ts.State == conf.StateFailing && strings.Contains(ts.Reason, `"missing"`) {
				return true
			}
		}
		return false
	})
	t.Logf("broken task failing in the status key after %v", time.Since(start).Round(time.Millisecond))
	var body string
	devstack.WaitFor(t, 5*time.Second, "/readyz to name the broken task", func() bool {
		code, b := devstack.HTTPGet("http://" + a.HTTPAddr() + "/readyz")
		body = b
		return code == http.StatusServiceUnavailable && strings.Contains(b, "broken:") && !strings.Contains(b, "healthy:")
	})
	t.Logf("/readyz: %s", strings.TrimSpace(body))

	// A new file of the healthy task ships while the broken one waits.
	const goodLines = 5000
	shipStart := time.Now()
	good := writeLines(t, join(goodDir, "new.log"), "good", 0, goodLines)
	recs := e.readDistinct("good", goodLines, 15*time.Second)
	took := time.Since(shipStart)
	if dups := verify(t, recs, map[string][]string{"good": good}); dups > 0 {
		t.Errorf("%d duplicates in the healthy topic", dups)
	}
	t.Logf("healthy task shipped %d lines in %v (%.0f lines/s) beside the broken task", goodLines, took.Round(time.Millisecond), goodLines/took.Seconds())

	// The topic is created: the broken task resumes by itself, loses nothing.
	if err := e.kafka.CreateTopic("missing"); err != nil {
		t.Fatal(err)
	}
	recs = e.readDistinct("missing", brokenFiles*perFile, 60*time.Second)
	if dups := verify(t, recs, want); dups > 0 {
		t.Errorf("%d duplicates in the broken task's topic", dups)
	}
	devstack.WaitFor(t, 10*time.Second, "the broken task to run again", func() bool {
		st, ok := e.status("agent-1")
		if !ok {
			return false
		}
		for _, ts := range st.Tasks {
			if ts.State != conf.StateRunning {
				return false
			}
		}
		return len(st.Tasks) == 2
	})
	a.stop(t)
	n, warn := logs.counts()
	t.Logf("agent logged %d lines, %d at WARN or above", n, warn)
	// 41 harvesters open and close (82), lifecycle lines, the broken task's
	// trouble (a few), its recovery: never a line per file per retry.
	if warn > 10 {
		t.Errorf("%d WARN lines: trouble must be logged once per interval per task and reason", warn)
	}
	if n > 4*(brokenFiles+1)+40 {
		t.Errorf("%d log lines for %d files", n, brokenFiles+1)
	}
}

// TestRefusedTopicStallsOnlyItsTask: a topic the broker refuses to take
// records for (TOPIC_AUTHORIZATION_FAILED on every produce: a missing ACL)
// holds its task's share of the in-flight bytes and no more: another task
// keeps shipping, the refused task is failing with the reason, and once the
// ACL is granted every line arrives once.
//
// Before, the refused task's records filled the whole budget (its partition
// queues alone could hold more than it) and the healthy task read nothing.
func TestRefusedTopicStallsOnlyItsTask(t *testing.T) {
	e := newEnv(t)
	fault := e.kafka.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "denied",
		Err: kerr.TopicAuthorizationFailed, Count: -1})
	deniedDir, goodDir := join(e.logs, "denied"), join(e.logs, "good")
	for _, d := range []string{deniedDir, goodDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{}
	for i := range 4 {
		tag := fmt.Sprintf("d%d", i)
		want[tag] = writeLines(t, join(deniedDir, tag+".log"), tag, 0, 5000)
	}
	e.putTask("agent-1", "denied", Task{Path: join(deniedDir, "*.log"), Topic: "denied"})
	e.putTask("agent-1", "healthy", Task{Path: join(goodDir, "*.log"), Topic: "good"})
	cfg := e.config()
	cfg.Agent.MaxInflightBytes = 2 << 20
	logs := &levelCounter{w: devstack.TestLog{TB: t}}
	a := e.startWithLog(cfg, logs, slog.LevelInfo)

	devstack.WaitFor(t, 10*time.Second, "the denied task failing with its reason", func() bool {
		st, ok := e.status("agent-1")
		return ok && slices.ContainsFunc(st.Tasks, func(ts TaskStatus) bool {
			return ts.Name == "denied" && ts.State == conf.StateFailing && strings.Contains(ts.Reason, "TOPIC_AUTHORIZATION_FAILED")
		})
	})
	const goodLines = 5000
	start := time.Now()
	good := writeLines(t, join(goodDir, "new.log"), "good", 0, goodLines)
	verify(t, e.readDistinct("good", goodLines, 15*time.Second), map[string][]string{"good": good})
	t.Logf("healthy task shipped %d lines in %v beside the refused one (budget in use %d of %d)",
		goodLines, time.Since(start).Round(time.Millisecond), a.budget.InUse(), cfg.Agent.MaxInflightBytes)

	fault.Remove()
	if dups := verify(t, e.readDistinct("denied", 4*5000, 60*time.Second), want); dups > 0 {
		t.Errorf("%d duplicates", dups)
	}
	a.stop(t)
	if _, warn := logs.counts(); warn > 10 {
		t.Errorf("%d WARN lines: trouble must be logged once per interval per task and reason", warn)
	}
}

// TestManyStuckTasksLeaveTheReadSlots: more tasks than the agent has read
// slots (maxConcurrentReads), each stuck on a refused topic with more lines
// than its share of the in-flight bytes, must not stop a healthy task: its
// new file ships while they wait, and once the ACL is granted every stuck
// line arrives once.
//
// Before harvesters yielded, each stuck task's harvester held its read slot
// while it waited for bytes (a task's slot share has a floor of one), so 40
// stuck tasks held all 32 slots; and each task's byte share had a floor of
// 512 KiB, so 40 of them could also hold the whole 16 MiB budget.
func TestManyStuckTasksLeaveTheReadSlots(t *testing.T) {
	e := newEnv(t)
	// A topic each: tasks sharing a topic share its partitions' queues too.
	const stuck, perFile = maxConcurrentReads + 8, 1000
	want := map[string][]string{}
	var faults []kfake.Fault
	for i := range stuck {
		tag := fmt.Sprintf("s%02d", i)
		faults = append(faults, kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "denied-" + tag,
			Err: kerr.TopicAuthorizationFailed, Count: -1})
		dir := join(e.logs, tag)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		want[tag] = writeLines(t, join(dir, tag+".log"), tag, 0, perFile)
		e.putTask("agent-1", tag, Task{Path: join(dir, "*.log"), Topic: "denied-" + tag})
	}
	fault := e.kafka.Cluster().Fault(faults...)
	goodDir := join(e.logs, "good")
	if err := os.Mkdir(goodDir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.putTask("agent-1", "healthy", Task{Path: join(goodDir, "*.log"), Topic: "good"})
	cfg := e.config()
	logs := &levelCounter{w: devstack.TestLog{TB: t}}
	a := e.startWithLog(cfg, logs, slog.LevelInfo)

	// Enough stuck tasks have read past their share and wait for Kafka to
	// have held every read slot before.
	devstack.WaitFor(t, 20*time.Second, "the stuck tasks failing", func() bool {
		st, ok := e.status("agent-1")
		if !ok {
			return false
		}
		failing := 0
		for _, ts := range st.Tasks {
			if ts.State == conf.StateFailing && strings.Contains(ts.Reason, "TOPIC_AUTHORIZATION_FAILED") {
				failing++
			}
		}
		return failing >= maxConcurrentReads
	})
	const goodLines = 5000
	start := time.Now()
	good := writeLines(t, join(goodDir, "new.log"), "good", 0, goodLines)
	verify(t, e.readDistinct("good", goodLines, 15*time.Second), map[string][]string{"good": good})
	t.Logf("healthy task shipped %d lines in %v beside %d stuck ones (budget in use %d of %d; task s00 yielded %v times)",
		goodLines, time.Since(start).Round(time.Millisecond), stuck, a.budget.InUse(), cfg.Agent.MaxInflightBytes,
		testutilCounter2(a.metrics.Yields, "s00"))

	fault.Remove()
	for tag, lines := range want {
		recs := e.readDistinct("denied-"+tag, perFile, 60*time.Second)
		if dups := verify(t, recs, map[string][]string{tag: lines}); dups > 0 {
			t.Errorf("%s: %d duplicates", tag, dups)
		}
	}
	a.stop(t)
	if _, warn := logs.counts(); warn > stuck+10 {
		t.Errorf("%d WARN lines for %d stuck tasks: trouble must be logged once per interval per task and reason", warn, stuck)
	}
}

// TestRemovedTaskOnMissingTopicStops: a task removed while its topic is
// missing cannot ship what its files hold, so its drain ends at once and
// gives back its share instead of waiting forever; its lines stay behind its
// positions, and a task of that name shipping to a topic that exists later
// sends every one of them.
func TestRemovedTaskOnMissingTopicStops(t *testing.T) {
	e := newEnvWith(t, devstack.NewKafkaManualTopics)
	want := map[string][]string{}
	for i := range 3 {
		tag := fmt.Sprintf("r%d", i)
		want[tag] = writeLines(t, join(e.logs, tag+".log"), tag, 0, 100)
	}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "typo"})
	a := e.start(e.config())
	devstack.WaitFor(t, 10*time.Second, "the task waiting on its topic", func() bool {
		return gaugeValue(a.metrics.OpenFiles) == 3 && a.Ready() != nil && strings.Contains(a.Ready().Error(), "typo")
	})
	if _, err := e.cli.Delete(t.Context(), TaskKey("agent-1", "app")); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 10*time.Second, "the removed task's harvesters to end", func() bool {
		return gaugeValue(a.metrics.OpenFiles) == 0
	})
	if err := e.kafka.CreateTopic("fixed"); err != nil {
		t.Fatal(err)
	}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "fixed"})
	if dups := verify(t, e.readDistinct("fixed", 300, 20*time.Second), want); dups > 0 {
		t.Errorf("%d duplicates", dups)
	}
}

// levelCounter counts the text handler's lines, and those at WARN or
// above, passing them on to w.
type levelCounter struct {
	w        io.Writer
	mu       sync.Mutex
	n, warns int
}

func (c *levelCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.n += bytes.Count(p, []byte("\n"))
	c.warns += bytes.Count(p, []byte("level=WARN")) + bytes.Count(p, []byte("level=ERROR"))
	c.mu.Unlock()
	return c.w.Write(p)
}

func (c *levelCounter) counts() (lines, warns int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.warns
}
