//go:build linux

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

const inputTopic = "input"

const inputHeader = "input                          lines  indexed missing duplicates  verdict / notes"

// TestBadInput feeds one stack every kind of bad input while the writer's
// good task ships next to it, and prints one row per input. Each must end
// with a clear error or its documented conversion, nothing lost or
// duplicated, and nothing stalled.
func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real daemons and the whole stack")
	}
	start := time.Now()
	s := newStack(t)
	w := startWriter(t, s.logs, 2, 200)

	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.log"), "secret: outside allowed_paths\n")
	escape := filepath.Join(s.logs, "escape")
	if err := os.Symlink(outside, escape); err != nil {
		t.Fatal(err)
	}
	ins := writeInputs(t, s.logs)
	rejected := rejectedInputs(s.logs, outside, escape)

	pid := pidOf(s.agent)
	var addr string
	devstack.WaitFor(t, 20*time.Second, "the agent's /metrics listener", func() bool {
		var err error
		addr, err = listenAddr(pid)
		return err == nil
	})
	baseFDs, cpu0 := openFDs(pid), cpuSeconds(pid)
	var peakFDs atomic.Int64
	stopSampling := sampleFDs(pid, &peakFDs)

	registerInputTasks(t, s, rejectedValues(s.logs, outside, escape))
	for _, in := range ins {
		if in.name == "unreadable file (000)" && in.skip == "" {
			fixUnreadable(t, s, in)
		}
	}
	want := 0
	for _, in := range ins {
		for _, lines := range in.files {
			want += len(lines)
		}
	}
	// On timeout the rows show what is missing.
	arrived := devstack.Poll(40*time.Second, func() bool { return s.es.Count(inputTopic+"-*") >= want })
	checkRejections(t, s, rejected)
	metrics, err := scrape(addr)
	if err != nil {
		t.Errorf("scraping the agent: %v", err)
	}
	cpu := cpuSeconds(pid) - cpu0
	idlePct := idleCPU(pid, 2*time.Second)
	stopSampling()
	typos := iniTypoInputs(t, s)

	w.stop()
	written := w.counts()
	good := tally{written: w.total()}
	s.drain(good.written, time.Minute)
	if err := checkIndex(s.es, written, &good); err != nil {
		t.Fatal(err)
	}
	docs, stray, err := readDocs(t.Context(), s.cloud.Addrs(), s.es, inputTopic, want)
	if err != nil {
		t.Errorf("reading the %s topic: %v", inputTopic, err)
	}
	byPath := map[string][]indexedDoc{}
	for _, d := range docs {
		byPath[d.path] = append(byPath[d.path], d)
	}

	checkLongLine(ins, byPath, metrics)
	checkEmpty(t, s, ins)
	checkMany(ins, int(peakFDs.Load()), baseFDs, s.agent.peakMB(), cpu, idlePct)

	rows := []string{inputHeader}
	all := append(append(ins, rejected...), typos...)
	for _, in := range all {
		rows = append(rows, in.row(byPath))
	}
	rows = append(rows, fmt.Sprintf("%-28s %7d %8d %7d %10d  %s", "good task next to them", good.written,
		good.indexed, good.missing, good.duplicates, goodVerdict(good)))
	if good.missing+good.duplicates+good.foreign > 0 {
		t.Errorf("the good task lost or duplicated lines: %+v", good)
	}
	placed := 0
	for _, in := range all {
		for p := range in.files {
			placed += len(byPath[p])
		}
	}
	if placed != len(docs) || stray != 0 {
		t.Errorf("%d documents of %s-* belong to no input file, %d match no record id", len(docs)-placed, inputTopic, stray)
	}
	if !arrived {
		t.Errorf("stall: %d of %d input lines indexed after 40s", s.es.Count(inputTopic+"-*"), want)
	}
	for _, in := range all {
		for _, p := range in.problems {
			t.Errorf("%s: %s", in.name, p)
		}
	}
	fmt.Println(strings.Join(rows, "\n"))
	t.Logf("bad input: %s in all (agent log %s)", time.Since(start).Round(time.Second), s.agent.log)
}

// registerInputTasks puts the route of the input topic, the three tasks
// that read the inputs, and the values the agent must reject.
func registerInputTasks(t *testing.T, s *stack, rejected map[string]string) {
	route, _ := json.Marshal(logtransfer.Route{Topic: inputTopic})
	kvs := map[string]string{logtransfer.RouteKey(inputTopic): string(route)}
	for name, task := range map[string]logagent.Task{
		"edge": {Path: filepath.Join(s.logs, "edge", "*.log"), Topic: inputTopic, MaxLineBytes: inputMaxLine},
		"gbk":  {Path: filepath.Join(s.logs, "gbk", "*.log"), Topic: inputTopic, Encoding: "gbk"},
		"many": {Path: filepath.Join(s.logs, "many", "*.log"), Topic: inputTopic},
	} {
		v, _ := json.Marshal(task)
		kvs[logagent.TaskKey(agentID, name)] = string(v)
	}
	for name, v := range rejected {
		kvs[logagent.TaskKey(agentID, name)] = v
	}
	cli := devstack.NewEtcdClient(t, s.etcd)
	for k, v := range kvs {
		if _, err := cli.Put(t.Context(), k, v); err != nil {
			t.Fatalf("putting %s: %v", k, err)
		}
	}
}

// fixUnreadable waits for the agent to report the unreadable file, then
// makes it readable: its lines must then arrive like any others.
func fixUnreadable(t *testing.T, s *stack, in *badInput) {
	var path string
	for p := range in.files {
		path = p
	}
	found := devstack.Poll(15*time.Second, func() bool {
		b, _ := os.ReadFile(s.agent.log)
		for line := range strings.SplitSeq(string(b), "\n") {
			if strings.Contains(line, path) && strings.Contains(line, "permission denied") {
				return true
			}
		}
		return false
	})
	if found {
		in.note("reported in the agent log only (Warn \"cannot open file\"): no status key entry, no metric")
	} else {
		in.problem("no log line names %s with \"permission denied\" within 15s", path)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
}

// sampleFDs keeps the peak of a process's open descriptors until the
// returned stop is called.
func sampleFDs(pid int, peak *atomic.Int64) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			if n := int64(openFDs(pid)); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-tk.C:
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// idleCPU measures a process's CPU use over a window, in percent of one
// core: the cost of what it holds open while nothing is written.
func idleCPU(pid int, window time.Duration) float64 {
	c0 := cpuSeconds(pid)
	time.Sleep(window)
	return 100 * (cpuSeconds(pid) - c0) / window.Seconds()
}

// row counts the documents of the input's files against the lines they
// must become and renders its table row.
func (in *badInput) row(byPath map[string][]indexedDoc) string {
	lines, indexed, missing, dups := 0, 0, 0, 0
	for p, want := range in.files {
		lines += len(want)
		got := map[string]int{}
		for _, d := range byPath[p] {
			got[d.message]++
			indexed++
		}
		for _, m := range want {
			switch got[m] {
			case 0:
				missing++
			case 1:
			default:
				dups++
			}
			delete(got, m)
		}
		for m, n := range got {
			in.problem("%d document(s) of %s hold a message no line of it becomes: %.80q", n, filepath.Base(p), m)
		}
	}
	if missing+dups > 0 {
		in.problem("%d line(s) missing, %d duplicated", missing, dups)
	}
	verdict := "ok"
	switch {
	case in.skip != "":
		verdict = "SKIP"
		in.notes = append([]string{in.skip}, in.notes...)
	case len(in.problems) > 0:
		verdict = "FAIL: " + strings.Join(in.problems, "; ")
	}
	if len(in.notes) > 0 {
		verdict += ": " + strings.Join(in.notes, "; ")
	}
	if in.rejectKey != "" && lines == 0 {
		return fmt.Sprintf("%-28s %7s %8d %7s %10s  %s", in.name, "-", indexed, "-", "-", verdict)
	}
	return fmt.Sprintf("%-28s %7d %8d %7d %10d  %s", in.name, lines, indexed, missing, dups, verdict)
}

func goodVerdict(tl tally) string {
	if tl.missing+tl.duplicates+tl.foreign > 0 {
		return fmt.Sprintf("FAIL: %d foreign", tl.foreign)
	}
	return "ok: kept shipping through every bad input"
}
