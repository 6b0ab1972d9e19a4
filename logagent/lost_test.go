package logagent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// lostMetric is logagent_data_lost_<what>_total{task, reason} on the
// agent's /metrics; -1 when absent.
func lostMetric(t *testing.T, a *runningAgent, what, task, reason string) int64 {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`logagent_data_lost_%s_total\{reason="%s",task="%s"\} (\S+)`, what, reason, task))
	m := re.FindStringSubmatch(httpGet(t, "http://"+a.HTTPAddr()+"/metrics"))
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return int64(f)
}

// lostEvents is the agent's /status/lines list of losses.
func lostEvents(t *testing.T, a *runningAgent) []LostFile {
	t.Helper()
	var lc LineCounts
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/status/lines")), &lc); err != nil {
		t.Fatal(err)
	}
	return lc.Lost
}

// linesBytes is how many bytes lines take in a file.
func linesBytes(lines []string) int64 {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return int64(n)
}

// TestDeletedUnshippedFilesAreCounted: Kafka is down, so lines the agent
// read are not acked. a.log is deleted while its harvester holds it and the
// agent then stops: its unacked bytes and lines are lost (deleted, exact).
// b.log is deleted while the agent is down: the registry knew its size, and
// the next agent books the bytes between its offset and that size; d.log is
// rotated out of the glob then, a new d.log taking its path (rotated_away).
// All
// show in the status key (the task's summary), on /status/lines (each loss)
// and in /metrics (the loss the running agent found); a file that is still
// there, shipped late, is not counted.
func TestDeletedUnshippedFilesAreCounted(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.ShutdownTimeout = 2 * time.Second
	e.putTask("agent-1", "t", Task{Path: join(e.logs, "*.log"), Topic: "lost"})
	a := e.start(cfg)
	pa, pb, pc, pd := join(e.logs, "a.log"), join(e.logs, "b.log"), join(e.logs, "c.log"), join(e.logs, "d.log")
	writeLines(t, pd, "d", 0, 10)
	writeLines(t, pa, "a", 0, 10)
	writeLines(t, pb, "b", 0, 10)
	writeLines(t, pc, "c", 0, 10)
	e.readDistinct("lost", 40, 20*time.Second)

	e.kafka.Stop()
	lostD := writeLines(t, pd, "d", 10, 15)
	lostA := writeLines(t, pa, "a", 10, 40)
	lostB := writeLines(t, pb, "b", 10, 30)
	later := writeLines(t, pc, "c", 10, 20)
	devstack.WaitFor(t, 10*time.Second, "the agent to read what was written", func() bool {
		m := regexp.MustCompile(`logagent_lines_read_total\{task="t"\} (\d+)`).FindStringSubmatch(httpGet(t, "http://"+a.HTTPAddr()+"/metrics"))
		return m != nil && m[1] == "145"
	})
	devstack.WaitFor(t, 10*time.Second, "the agent to know every file's size", func() bool {
		var st Status
		if json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/status/files")), &st) != nil || len(st.Tasks) != 1 {
			return false
		}
		n := 0
		for _, f := range st.Tasks[0].Files {
			if fi, err := os.Stat(f.Path); err == nil && f.Size == fi.Size() {
				n++
			}
		}
		return n == 4
	})
	if err := os.Remove(pa); err != nil {
		t.Fatal(err)
	}
	a.stop(t)
	if err := os.Remove(pb); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(pd, pd+".1"); err != nil {
		t.Fatal(err)
	}
	newD := writeLines(t, pd, "e", 0, 3)
	if err := e.kafka.Restart(); err != nil {
		t.Fatal(err)
	}
	a = e.start(cfg)
	e.readDistinct("lost", 40+len(later)+len(newD), 30*time.Second) // c.log's late lines and the new d.log are shipped

	var sum *LostSummary
	devstack.WaitFor(t, 10*time.Second, "the losses in the status key", func() bool {
		st, ok := e.status("agent-1")
		if !ok || len(st.Tasks) != 1 {
			return false
		}
		sum = st.Tasks[0].Lost
		return sum != nil && sum.Files == 3
	})
	wantBytes := linesBytes(lostA) + linesBytes(lostB) + linesBytes(lostD)
	if sum.Bytes != wantBytes || sum.Lines != int64(len(lostA)) {
		t.Errorf("status lost = %+v, want %d bytes, %d lines", sum, wantBytes, len(lostA))
	}
	evs := lostEvents(t, a)
	got := map[string]LostFile{}
	for _, ev := range evs {
		got[ev.Path] = ev
	}
	if len(evs) != 3 || evs[0].Path != pa {
		t.Errorf("/status/lines lost = %+v, want a.log first, then b.log and d.log", evs)
	}
	for _, w := range []LostFile{{Path: pa, Reason: lostDeleted, Bytes: linesBytes(lostA), Lines: int64(len(lostA))},
		{Path: pb, Reason: lostDeleted, Bytes: linesBytes(lostB)}, {Path: pd, Reason: lostRotatedAway, Bytes: linesBytes(lostD)}} {
		ev := got[w.Path]
		if ev.Reason != w.Reason || ev.Bytes != w.Bytes || ev.Lines != w.Lines || ev.Task != "t" || ev.FileID == "" ||
			!ev.Hour.Equal(ev.At.Truncate(time.Hour)) {
			t.Errorf("/status/lines loss of %s = %+v, want %s, %d bytes, %d lines", w.Path, ev, w.Reason, w.Bytes, w.Lines)
		}
	}
	if got := lostMetric(t, a, "bytes", "t", lostDeleted); got != linesBytes(lostB) {
		t.Errorf("logagent_data_lost_bytes_total{reason=deleted} = %d, want %d (b.log, found by this agent)", got, linesBytes(lostB))
	}
	if got := lostMetric(t, a, "bytes", "t", lostRotatedAway); got != linesBytes(lostD) {
		t.Errorf("logagent_data_lost_bytes_total{reason=rotated_away} = %d, want %d", got, linesBytes(lostD))
	}
	if got := lostMetric(t, a, "bytes", "t", lostTruncated); got != -1 {
		t.Errorf("logagent_data_lost_bytes_total{reason=truncated} = %d, want none", got)
	}
}

// TestCopytruncateLossIsCounted: the harvester is blocked at the in-flight
// budget (Kafka down) after its first read when the file is copytruncated:
// the bytes it had not read are lost. Every byte the file held is either
// shipped (lines of the old generation in Kafka) or counted lost, exactly;
// the new generation's lines are shipped.
func TestCopytruncateLossIsCounted(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.MaxInflightBytes = 64 << 10
	e.putTask("agent-1", "t", Task{Path: join(e.logs, "*.log"), Topic: "ct"})
	a := e.start(cfg)
	p := join(e.logs, "app.log")
	first := writeLines(t, p, "a", 0, 1)
	e.readDistinct("ct", 1, 20*time.Second)

	e.kafka.Stop()
	writeLines(t, p, "a", 1, 8000) // ~500 KB: the harvester's first read takes 128 KiB of it
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	devstack.WaitFor(t, 10*time.Second, "reading to stall at the budget", func() bool {
		return a.budget.InUse() > cfg.Agent.MaxInflightBytes/2
	})
	devstack.WaitFor(t, 10*time.Second, "a scan to see the file's size", func() bool {
		var st Status
		_ = json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/status/files")), &st)
		return len(st.Tasks) == 1 && len(st.Tasks[0].Files) == 1 && st.Tasks[0].Files[0].Size == size
	})
	if err := os.Truncate(p, 0); err != nil { // logrotate's copytruncate
		t.Fatal(err)
	}
	fresh := writeLines(t, p, "n", 0, 5)
	if err := e.kafka.Restart(); err != nil {
		t.Fatal(err)
	}

	var lost int64
	devstack.WaitFor(t, 30*time.Second, "the truncation loss in /metrics", func() bool {
		lost = lostMetric(t, a, "bytes", "t", lostTruncated)
		return lost > 0
	})
	// Kafka holds every line read before the truncation once, and the
	// new generation's lines.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	recs, err := devstack.ReadUntil(ctx, e.kafka.Addrs(), "ct", func(rs []devstack.Record) bool {
		n := 0
		for _, r := range rs {
			if strings.HasPrefix(r.Value, "n ") {
				n++
			}
		}
		return n >= len(fresh)
	})
	if err != nil {
		t.Fatal(err)
	}
	shipped, seen := int64(0), map[string]bool{}
	for _, r := range recs {
		if strings.HasPrefix(r.Value, "a ") && !seen[r.Value] {
			seen[r.Value] = true
			shipped += int64(len(r.Value)) + 1
		}
	}
	if shipped+lost != size {
		t.Errorf("old generation: %d bytes shipped + %d counted lost = %d, want the %d bytes the file held", shipped, lost, shipped+lost, size)
	}
	if lost >= size-linesBytes(first) || shipped <= linesBytes(first) {
		t.Errorf("lost %d of %d bytes, shipped %d: the harvester's read before the truncation should have shipped", lost, size, shipped)
	}
	devstack.WaitFor(t, 10*time.Second, "the loss in the status key", func() bool {
		st, ok := e.status("agent-1")
		return ok && len(st.Tasks) == 1 && st.Tasks[0].Lost != nil && st.Tasks[0].Lost.Bytes == lost &&
			st.Tasks[0].Lost.LastReason == lostTruncated
	})
	if evs := lostEvents(t, a); len(evs) != 1 || evs[0].Reason != lostTruncated || evs[0].Bytes != lost || evs[0].Path != p {
		t.Errorf("/status/lines lost = %+v, want one truncated loss of %d bytes of %s", evs, lost, p)
	}
}
