package logagent

import (
	"fmt"
	"os"
	"runtime"
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
