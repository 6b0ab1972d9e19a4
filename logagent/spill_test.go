package logagent

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// TestFramerSpillRereadsTheLine: a framer holding a long incomplete line
// drops it and names its start; fed again from there, it frames the same
// events as if it had kept it.
func TestFramerSpillRereadsTheLine(t *testing.T) {
	long := strings.Repeat("x", 3*shrinkKeep)
	file := "a\n" + long + "\nb\n"
	f, err := NewFramer(FramerConfig{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte(file[:2+len(long)/2]))
	if ev, ok := f.Next(time.Now()); !ok || string(ev.Data) != "a" {
		t.Fatalf("first event %q %v", ev.Data, ok)
	}
	from, ok := f.Spill()
	if !ok || from != 2 {
		t.Fatalf("Spill() = %d, %v; want 2, true", from, ok)
	}
	if n, next := f.Pending(); n != 0 || next != 2 {
		t.Fatalf("Pending() after spill = %d, %d", n, next)
	}
	if _, ok := f.Spill(); ok {
		t.Fatal("an empty framer spilled")
	}
	f.Write([]byte(file[from:]))
	for _, want := range []string{long, "b"} {
		ev, ok := f.Next(time.Now())
		if !ok || string(ev.Data) != want {
			t.Fatalf("event %.20q… (%d bytes), want %.20q… (%d bytes)", ev.Data, len(ev.Data), want, len(want))
		}
	}
	if _, ok := f.Spill(); ok {
		t.Fatal("a framer with nothing pending spilled")
	}
}

// TestFramerRandomSpillsMatch: whatever the input, chunking and multiline
// mode, a framer that spills (at every chance, here) and is fed again from
// where it says yields exactly the events of one that never spills.
func TestFramerRandomSpillsMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	modes := []*Multiline{nil,
		{Pattern: `^[[:space:]]`, Match: "after", MaxLines: 3},
		{Pattern: `^\[`, Negate: true, Match: "after"},
		{Pattern: `\\$`, Match: "before", MaxLines: 2},
	}
	spilledEvents := 0 // spills that dropped a pending multiline event
	for i := range 4000 {
		limit := 1 + r.IntN(16)
		in := frRandomInput(r, limit)
		cfg := FramerConfig{MaxLineBytes: limit, Multiline: modes[i%len(modes)]}
		chunks := frRandomChunks(r, in)
		want := frRun(t, cfg, 7, chunks...)
		got, n := frRunSpilling(t, cfg, 7, in, chunks, r)
		spilledEvents += n
		if !slices.Equal(got, want) {
			t.Fatalf("input %q limit %d multiline %v:\ngot  %v\nwant %v", in, limit, cfg.Multiline, got, want)
		}
	}
	if spilledEvents < 100 {
		t.Errorf("only %d spills dropped a pending multiline event: the test proves little", spilledEvents)
	}
}

// frRunSpilling is frRun with a framer that spills whenever it may (a coin
// decides) and is fed again from the offset Spill names.
func frRunSpilling(t *testing.T, cfg FramerConfig, offset int64, in []byte, chunks [][]byte, r *rand.Rand) (evs []frEv, spilledEvents int) {
	t.Helper()
	f, err := NewFramer(cfg, offset)
	if err != nil {
		t.Fatal(err)
	}
	f.spillAt = 0
	now := time.Unix(0, 0)
	pos, end := 0, 0
	for _, c := range chunks {
		end += len(c)
		f.Write(in[pos:end])
		pos = end
		evs = append(evs, frDrain(f, now)...)
		if r.IntN(2) == 0 {
			if from, ok := f.Spill(); ok {
				pos = int(from - offset)
				if from < f.replayEnd {
					spilledEvents++
				}
			}
		}
	}
	f.Write(in[pos:])
	evs = append(evs, frDrain(f, now)...)
	evs = append(evs, frFlush(f)...)
	if n, _ := f.Pending(); n != 0 {
		t.Fatalf("Pending after Flush = %d bytes, want 0", n)
	}
	return evs, spilledEvents
}

// TestFramerSpilledEventTimesOut: a pending multiline event spilled while
// idle still times out when it would have: Deadline names the time, and
// the lines read again keep the time they extended it.
func TestFramerSpilledEventTimesOut(t *testing.T) {
	f, err := NewFramer(FramerConfig{Multiline: &Multiline{Pattern: `^ `, Match: "after", Timeout: Duration(time.Second)}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.spillAt = 0
	in := []byte("head\n at 1\n at 2\n")
	t0 := time.Unix(100, 0)
	f.Write(in)
	if ev, ok := f.Next(t0); ok {
		t.Fatalf("event before its timeout: %q", ev.Data)
	}
	from, ok := f.Spill()
	if !ok || from != 0 {
		t.Fatalf("Spill() = %d, %v; want 0, true", from, ok)
	}
	if d := f.Deadline(); !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("Deadline() after the spill = %v, want %v", d, t0.Add(time.Second))
	}
	late := t0.Add(2 * time.Second)
	f.Write(in[from:])
	ev, ok := f.Next(late)
	if !ok || string(ev.Data) != "head\n at 1\n at 2" || ev.End != int64(len(in)) {
		t.Fatalf("event read again after its deadline: %q %v", ev.Data, ok)
	}
}

// TestFilesMidLineHoldNoMemory: 100 files each stopped in the middle of a
// 128 KiB line hold their partial lines on disk, not in the agent's heap;
// once the lines end, every line arrives once and whole.
//
// Before, each harvester's framer kept its partial line (12.5 MiB here, and
// max_line_bytes per file at worst, outside any budget).
func TestFilesMidLineHoldNoMemory(t *testing.T) {
	e := newEnv(t)
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "midline"})
	a := e.start(e.config())
	devstack.WaitFor(t, 10*time.Second, "the agent ready", func() bool { return a.Ready() == nil })
	base := heapInUse()

	// The lines are made again for the check: kept here, they would be
	// the heap the test measures.
	const files, partial = 100, 128 << 10
	head := func(i int) (tag, line string) {
		tag = fmt.Sprintf("m%03d", i)
		return tag, tag + " " + strings.Repeat("y", partial)
	}
	for i := range files {
		tag, line := head(i)
		if err := os.WriteFile(join(e.logs, tag+".log"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	devstack.WaitFor(t, 20*time.Second, "every partial line read", func() bool {
		return testutilCounter2(a.metrics.BytesRead, "app") >= files*partial &&
			gaugeValue(a.metrics.OpenFiles) == files
	})
	var held uint64
	if !devstack.Poll(10*time.Second, func() bool {
		held = heapInUse() - min(base, heapInUse())
		return held < files*partial/4
	}) {
		t.Errorf("%d files mid-line hold %d KiB of heap (their partial lines: %d KiB)", files, held>>10, files*partial>>10)
	}
	t.Logf("%d files mid-line: heap grew %d KiB (partial lines on disk: %d KiB)", files, held>>10, files*partial>>10)

	want := map[string][]string{}
	for i := range files {
		tag, line := head(i)
		want[tag] = []string{line + " end"}
		f, err := os.OpenFile(join(e.logs, tag+".log"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(" end\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if dups := verify(t, e.readDistinct("midline", files, 30*time.Second), want); dups > 0 {
		t.Errorf("%d duplicates", dups)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestDeletedFileShipsItsSpilledLastLine: a file deleted while its last
// line, without LF and longer than the framer keeps while idle, sits on
// disk only, still ships that line (it can no longer grow, so it is final).
func TestDeletedFileShipsItsSpilledLastLine(t *testing.T) {
	e := newEnv(t)
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "spilled"})
	a := e.start(e.config())
	path := join(e.logs, "app.log")
	last := "app last " + strings.Repeat("z", 4*shrinkKeep)
	if err := os.WriteFile(path, []byte("app first\n"+last), 0o644); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 10*time.Second, "the file read to its end", func() bool {
		return testutilCounter2(a.metrics.BytesRead, "app") >= float64(len("app first\n")+len(last))
	})
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	verify(t, e.readDistinct("spilled", 2, 20*time.Second), map[string][]string{"app": {"app first", last}})
}

// TestFilesMidMultilineEventHoldNoMemory: 100 files each in the middle of a
// 128 KiB multiline event (a stack trace whose end is not written yet) hold
// it on disk, not in the agent's heap; the events ship whole once the next
// event starts, and an event whose file stops growing ships at its timeout.
func TestFilesMidMultilineEventHoldNoMemory(t *testing.T) {
	e := newEnv(t)
	ml := &Multiline{Pattern: `^ `, Match: "after", MaxLines: 1000, Timeout: Duration(time.Minute)}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "midevent", Multiline: ml})
	e.putTask("agent-1", "quiet", Task{Path: join(e.logs, "quiet", "*.log"), Topic: "quiet",
		Multiline: &Multiline{Pattern: `^ `, Match: "after", Timeout: Duration(time.Second)}})
	a := e.start(e.config())
	devstack.WaitFor(t, 10*time.Second, "the agent ready", func() bool { return a.Ready() == nil })
	base := heapInUse()

	const files, frames = 100, 100
	event := func(i int) (tag, text string) {
		tag = fmt.Sprintf("e%03d", i)
		var b strings.Builder
		b.WriteString(tag + " java.lang.IllegalStateException: boom")
		for f := range frames {
			fmt.Fprintf(&b, "\n at com.example.Service.call%04d(Service.java:%d) %s", f, f, strings.Repeat("w", 1200))
		}
		return tag, b.String()
	}
	var total int
	for i := range files {
		tag, text := event(i)
		total += len(text) + 1
		if err := os.WriteFile(join(e.logs, tag+".log"), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	devstack.WaitFor(t, 20*time.Second, "every pending event read", func() bool {
		return testutilCounter2(a.metrics.BytesRead, "app") >= float64(total)
	})
	var held uint64
	if !devstack.Poll(10*time.Second, func() bool {
		held = heapInUse() - min(base, heapInUse())
		return held < uint64(total)/4
	}) {
		t.Errorf("%d files mid-event hold %d KiB of heap (their pending events: %d KiB)", files, held>>10, total>>10)
	}
	t.Logf("%d files mid-event: heap grew %d KiB (pending events on disk: %d KiB)", files, held>>10, total>>10)

	want := map[string][]string{}
	for i := range files {
		tag, text := event(i)
		want[tag] = []string{text}
		f, err := os.OpenFile(join(e.logs, tag+".log"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(tag + " next event\n"); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if dups := verify(t, e.readDistinct("midevent", files, 30*time.Second), want); dups > 0 {
		t.Errorf("%d duplicates", dups)
	}

	// A spilled event of a file that stops growing ships at its timeout.
	if err := os.Mkdir(join(e.logs, "quiet"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, text := event(999)
	if err := os.WriteFile(join(e.logs, "quiet", "q.log"), []byte(text+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	verify(t, e.readDistinct("quiet", 1, 20*time.Second), map[string][]string{"q": {text}})
}
