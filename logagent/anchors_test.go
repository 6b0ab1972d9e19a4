package logagent

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// stampLines stamps lines of size bytes from off, all read at now with the
// file read to their end, and returns their times.
func stampLines(t *testing.T, s *stamper, off int64, n, size int, now time.Time) []int64 {
	t.Helper()
	out := make([]int64, n)
	readOff := off + int64(n*size)
	for i := range out {
		ts, err := s.stamp(t.Context(), off+int64(i*size), now, readOff)
		if err != nil {
			t.Fatal(err)
		}
		s.sent(off + int64((i+1)*size))
		out[i] = ts
	}
	return out
}

// TestAnchorsKeepReadTimeAcrossCrash: lines sent before a crash (the store
// dropped without trim or flush, as SIGKILL would) get the same lp.ts when
// re-read a day later; lines past what was reserved get the new read time.
func TestAnchorsKeepReadTimeAcrossCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), anchorsFileName)
	key := anchorKey{positionKey("app", fileIdentity{devIno: devIno{1, 2}, FP: "x", FPLen: 1}), 0}
	before := time.Date(2026, 12, 6, 23, 59, 58, 400e6, time.UTC)
	after := before.Add(24 * time.Hour)

	s1, err := loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	st := newStamper(s1, key, 0, slog.New(slog.DiscardHandler))
	first := stampLines(t, st, 0, 100, 100, before)                                  // one anchor
	second := stampLines(t, st, 10_000, 100, 100, before.Add(1200*time.Millisecond)) // next tick: a second one
	if first[0] != before.UnixMilli() || second[0] != before.Add(1200*time.Millisecond).UnixMilli() {
		t.Fatalf("fresh lines stamped %d and %d, want their read times", first[0], second[0])
	}
	if w := s1.writes.Load(); w != 2 {
		t.Errorf("%d anchor writes for two ticks, want 2", w)
	}
	// SIGKILL: nothing of s1 but its file survives.
	s2, err := loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	st = newStamper(s2, key, 0, slog.New(slog.DiscardHandler))
	again := append(stampLines(t, st, 0, 100, 100, after), stampLines(t, st, 10_000, 100, 100, after)...)
	for i, ts := range append(first, second...) {
		if again[i] != ts {
			t.Fatalf("line %d re-read after the crash stamped %d, first sent with %d", i, again[i], ts)
		}
	}
	// Past the second anchor's reservation nothing was sent: fresh time.
	as := s2.get(key)
	if len(as) != 2 {
		t.Fatalf("anchors on disk %v, want two", as)
	}
	past := stampLines(t, st, as[1].End, 1, 100, after)
	if past[0] != after.UnixMilli() {
		t.Errorf("a line past every reservation stamped %d, want its read time %d", past[0], after.UnixMilli())
	}
}

// TestAnchorsTrimmedAtHarvesterEnd: a harvester that ends reserves nothing
// past the last line it sent, so a file reopened later (inactive, clean
// restart) stamps new lines with their read time.
func TestAnchorsTrimmedAtHarvesterEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), anchorsFileName)
	key := anchorKey{"app\x00f", 0}
	s, err := loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	st := newStamper(s, key, 0, slog.New(slog.DiscardHandler))
	stampLines(t, st, 0, 10, 100, t0)
	st.done()
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	s, err = loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	st = newStamper(s, key, 1000, slog.New(slog.DiscardHandler))
	later := t0.Add(5 * time.Minute)
	if got := stampLines(t, st, 1000, 1, 100, later); got[0] != later.UnixMilli() {
		t.Errorf("a line after the trim stamped %d, want its read time %d", got[0], later.UnixMilli())
	}
	if got := stampLines(t, newStamper(s, key, 0, slog.New(slog.DiscardHandler)), 900, 1, 100, later); got[0] != t0.UnixMilli() {
		t.Errorf("a line sent before the trim stamped %d, want %d", got[0], t0.UnixMilli())
	}
}

// TestAnchorsPrunedBelowSavedPosition: anchors whose lines all lie below a
// position already on disk, or of an older generation, or of a file the
// registry forgot, are not kept.
func TestAnchorsPrunedBelowSavedPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), anchorsFileName)
	id := fileIdentity{devIno: devIno{1, 2}, FP: "x", FPLen: 1}
	s, err := loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	old := newStamper(s, anchorKey{positionKey("app", id), 0}, 0, slog.New(slog.DiscardHandler))
	stampLines(t, old, 0, 10, 100, t0)
	cur := newStamper(s, anchorKey{positionKey("app", id), 1}, 0, slog.New(slog.DiscardHandler))
	stampLines(t, cur, 0, 10, 100, t0)
	stampLines(t, cur, 1000, 10, 100, t0.Add(time.Second))
	s.saved([]*position{{Task: "app", Dev: 1, Ino: 2, FP: "x", FPLen: 1, Gen: 1, Offset: 1500}})
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	s, err = loadAnchors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.files) != 1 {
		t.Fatalf("%d files with anchors, want only generation 1: %v", len(s.files), s.files)
	}
	as := s.files[anchorKey{positionKey("app", id), 1}]
	if len(as) != 1 || as[0].Off != 1000 {
		t.Errorf("anchors of generation 1 %v, want only the one covering offset 1500", as)
	}
	// The registry forgets the file (gone for clean_removed): so do anchors.
	s.forget(positionKey("app", id))
	if err := s.flush(); err != nil {
		t.Fatal(err)
	}
	if s, err = loadAnchors(path); err != nil || len(s.files) != 0 {
		t.Errorf("anchors after the file was forgotten: %v (%v)", s.files, err)
	}
}

// TestAnchorWritesPerTick measures the cost: 64 files shipping 4,000 lines/s
// each for 10 s take one anchor per file per second, committed together.
func TestAnchorWritesPerTick(t *testing.T) {
	s, err := loadAnchors(filepath.Join(t.TempDir(), anchorsFileName))
	if err != nil {
		t.Fatal(err)
	}
	const files, seconds, rate, size, reads = 64, 10, 4000, 120, 10 // reads per second per file
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for f := range files {
		st := newStamper(s, anchorKey{"app\x00" + string(rune('a'+f)), 0}, 0, slog.New(slog.DiscardHandler))
		wg.Go(func() {
			<-start
			off := int64(0)
			for r := range seconds * reads {
				now := t0.Add(time.Duration(r) * time.Second / reads)
				n := rate / reads
				stampLines(t, st, off, n, size, now)
				off += int64(n * size)
			}
		})
	}
	close(start)
	wg.Wait()
	w := s.writes.Load()
	t.Logf("%d files × %d lines/s × %d s: %d anchor file writes (%.1f/s)", files, rate, seconds, w, float64(w)/seconds)
	if w > files*seconds {
		t.Errorf("%d anchor writes, want at most one per file and second (%d)", w, files*seconds)
	}
}

// TestAnchorWaitEndsWithContext: a stamp waiting for a write that cannot
// happen (the state directory is gone) returns when its context ends.
func TestAnchorWaitEndsWithContext(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := loadAnchors(filepath.Join(dir, anchorsFileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	st := newStamper(s, anchorKey{"k", 0}, 0, slog.New(slog.DiscardHandler))
	if _, err := st.stamp(ctx, 0, time.Now(), 100); err == nil {
		t.Fatal("stamp returned a time that is not on disk")
	}
}
