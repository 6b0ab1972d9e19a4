package logagent

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/flow"
)

// hourTotals sums a status's counts per hour of one file.
func hourTotals(t *testing.T, lc *LineCounts, fileID string) map[time.Time][2]int64 {
	t.Helper()
	out := map[time.Time][2]int64{}
	for _, f := range lc.Files {
		if f.FileID != fileID {
			continue
		}
		for _, h := range f.Hours {
			out[h.Hour] = [2]int64{h.Read, h.Acked}
		}
	}
	return out
}

// TestLineCountsFollowTheSavedPosition reads lines in two hours, acks them
// out of order, saves, "crashes" with lines in flight and resumes from the
// saved file: acked counts only what the saved position covers, and the
// re-read lines are counted once.
func TestLineCountsFollowTheSavedPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), positionsFile)
	p, err := loadPositions(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	h1 := now.Truncate(time.Hour).Add(-time.Hour)
	h2 := h1.Add(time.Hour)
	e := position{Task: "app", Path: "/l/a.log", Dev: 1, Ino: 2, FP: "x", FPLen: 1}

	tr := flow.NewTracker(0)
	c := p.lineCounts("app", "f1", "/l/a.log", tr)
	seqs := map[int64]uint64{} // event end offset → its sequence number
	send := func(at time.Time, ends ...int64) {
		for _, end := range ends {
			c.line(at)
			seqs[end] = tr.Add()
		}
	}
	ack := func(end int64) { tr.AckRun(seqs[end], seqs[end], end) }
	send(h1.Add(59*time.Minute), 10, 20, 30)
	send(h2.Add(time.Second), 40, 50)
	ack(20)
	ack(10)
	ack(40) // behind 30: not covered by the position yet
	pos, passed, _ := tr.Progress()
	e.Offset = pos
	p.putCounted(e, c, passed, false)

	got := hourTotals(t, p.lineStatus(now), "f1")
	want := map[time.Time][2]int64{h1: {3, 2}, h2: {2, 0}}
	if len(got) != len(want) || got[h1] != want[h1] || got[h2] != want[h2] {
		t.Fatalf("live counts %v, want %v (read, acked)", got, want)
	}
	if err := p.save(); err != nil {
		t.Fatal(err)
	}

	// SIGKILL: the tracker is gone; the saved position is 20 with 2 acked.
	p, err = loadPositions(path)
	if err != nil {
		t.Fatal(err)
	}
	got = hourTotals(t, p.lineStatus(now), "f1")
	if got[h1] != [2]int64{2, 2} || len(got) != 1 {
		t.Fatalf("after restart %v, want only %v: {2 2}", got, h1)
	}
	saved, ok := p.get("app", e.identity())
	if !ok || saved.Offset != 20 {
		t.Fatalf("saved position %d, want 20", saved.Offset)
	}
	// The restarted harvester re-reads 30, 40, 50 in hour 2.
	tr = flow.NewTracker(saved.Offset)
	c = p.lineCounts("app", "f1", "/l/a.log", tr)
	send(h2.Add(time.Minute), 30, 40, 50)
	for _, end := range []int64{50, 40, 30} {
		ack(end)
	}
	pos, passed, _ = tr.Progress()
	e.Offset = pos
	p.putCounted(e, c, passed, true)
	got = hourTotals(t, p.lineStatus(now), "f1")
	if got[h1] != [2]int64{2, 2} || got[h2] != [2]int64{3, 3} {
		t.Fatalf("after re-reading %v, want %v: {2 2}, %v: {3 3}", got, h1, h2)
	}
	if len(p.lines.live) != 0 {
		t.Errorf("%d counters still live after the final put", len(p.lines.live))
	}
}

// TestLineCountsBounded drops hours out of the window and files over the cap,
// and says from when the counts are whole.
func TestLineCountsBounded(t *testing.T) {
	p, err := loadPositions(filepath.Join(t.TempDir(), positionsFile))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	cur := hourOf(now.Unix())
	old := &fileLines{FileID: "old", Path: "/l/old.log", Hours: map[int64]int64{cur - lineHours*3600: 5, cur - 3600: 1}}
	p.lines.Files = append(p.lines.Files, old)
	for i := range lineFiles {
		p.lines.Files = append(p.lines.Files, &fileLines{FileID: string(rune('a' + i%26)), Path: "/l/x.log",
			Hours: map[int64]int64{cur: int64(i + 1)}})
	}
	lc := p.lineStatus(now)
	if len(lc.Files) != lineFiles {
		t.Fatalf("%d files kept, want the cap %d", len(lc.Files), lineFiles)
	}
	for _, f := range lc.Files {
		if f.FileID == "old" {
			t.Fatalf("the file read longest ago was kept over the cap: %+v", f)
		}
	}
	if want := time.Unix(cur, 0).UTC(); !lc.CompleteSince.Equal(want) {
		t.Errorf("CompleteSince %v, want %v (the dropped file's last hour was whole no more)", lc.CompleteSince, want)
	}
	if _, ok := old.Hours[cur-lineHours*3600]; ok {
		t.Errorf("an hour older than the %dh window was kept", lineHours)
	}
}

func TestHourOf(t *testing.T) {
	for _, tt := range []struct{ in, want int64 }{{0, 0}, {3599, 0}, {3600, 3600}, {7300, 7200}, {-1, -3600}} {
		if got := hourOf(tt.in); got != tt.want {
			t.Errorf("hourOf(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// BenchmarkLineCountsLine is the per-line cost the harvester pays.
func BenchmarkLineCountsLine(b *testing.B) {
	p, err := loadPositions(filepath.Join(b.TempDir(), positionsFile))
	if err != nil {
		b.Fatal(err)
	}
	c := p.lineCounts("app", "f1", "/l/a.log", flow.NewTracker(0))
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		c.line(now)
	}
}
