package logagent

import (
	"path/filepath"
	"sync"
	"testing"
)

// TestPositionNeverMovesBack records a truncation (the next generation at
// offset 0) while stale writers keep putting positions of the generation
// before, and the save loop saves: neither the registry nor the file on
// disk may ever hold an older (generation, offset) than it held before. Run
// it with -race.
func TestPositionNeverMovesBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), positionsFile)
	p, err := loadPositions(path)
	if err != nil {
		t.Fatal(err)
	}
	base := position{Task: "app", Path: "/l/a.log", Dev: 1, Ino: 2, FP: "x", FPLen: 1}
	id := base.identity()
	type genOff struct {
		gen int
		off int64
	}
	older := func(a, b genOff) bool { return a.gen < b.gen || (a.gen == b.gen && a.off < b.off) }
	const iterations = 300
	for i := range iterations {
		// Generation i runs to offset 1000; a stale copy of it races with
		// the truncation that starts generation i+1.
		at := func(gen int, off int64) position { e := base; e.Gen, e.Offset = gen, off; return e }
		p.put(at(i, 1000))
		var wg sync.WaitGroup
		stop := make(chan struct{})
		wg.Go(func() { // a stale writer: what a task loop copied before the truncation
			for n := int64(0); ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				p.put(at(i, 1000-n%1000))
			}
		})
		wg.Go(func() { // the harvester: the truncation, then progress in the new generation
			p.put(at(i+1, 0))
			for off := int64(1); off <= 50; off++ {
				p.put(at(i+1, off))
			}
		})
		last, lastDisk := genOff{i, 1000}, genOff{-1, 0}
		check := func(where string, r *positions, last *genOff) {
			e, _ := r.get("app", id)
			got := genOff{e.Gen, e.Offset}
			if older(got, *last) {
				t.Fatalf("iteration %d: %s moved back from %v to %v", i, where, *last, got)
			}
			*last = got
		}
		for range 3 {
			if err := p.save(); err != nil {
				t.Fatal(err)
			}
			check("the registry", p, &last)
			q, err := loadPositions(path)
			if err != nil {
				t.Fatal(err)
			}
			check("the positions file", q, &lastDisk)
		}
		close(stop)
		wg.Wait()
		e, _ := p.get("app", id)
		if e.Gen != i+1 || e.Offset != 50 {
			t.Fatalf("iteration %d: after the truncation and 50 bytes, the registry holds gen %d offset %d", i, e.Gen, e.Offset)
		}
	}
}
