//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A line is "f=<file> seq=<n> <padding>": the oracle recovers which
// written line a document or record holds from its first two fields.
const linePad = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"

func lineText(file, seq int) string { return fmt.Sprintf("f=%d seq=%010d %s", file, seq, linePad) }

// headerText is the line a scenario writes at the top of a file each time
// it rewrites it: the same every time, so every generation of the file
// has the same first line, hence the same fingerprint. It is no written
// line to the oracle, which counts its documents apart (tally.headers).
func headerText(file int) string { return fmt.Sprintf("f=%d header %s", file, linePad) }

// isHeader reports whether s is a headerText.
func isHeader(s string) bool {
	var file int
	n, _ := fmt.Sscanf(s, "f=%d header", &file)
	return n == 1 && s == headerText(file)
}

// parseLine returns the file and sequence number of a line, or ok=false.
func parseLine(s string) (file, seq int, ok bool) {
	var pad string
	n, _ := fmt.Sscanf(s, "f=%d seq=%d %s", &file, &seq, &pad)
	return file, seq, n == 3 && lineText(file, seq) == s
}

// writer appends numbered lines to files app-0.log … at a steady rate. Its
// lock is held across a batch, so rotation can happen between batches.
type writer struct {
	t    *testing.T
	dir  string
	rate int // lines per second, all files together

	mu      sync.Mutex
	written []int // lines written per file
	// promised is nil, or the lines per file the pipeline owes (see
	// promiseOnly); counts reports it in place of written.
	promised []int
	// hour is -1 while files are named app-<file>.log, else the hour of
	// the day whose file each logical file is written to (see nextHour).
	hour    int
	stopped chan struct{}
	cancel  context.CancelFunc
}

// path is where the lines of file go now; the caller holds w.mu (or is
// inside paused).
func (w *writer) path(file int) string {
	if w.hour < 0 {
		return filepath.Join(w.dir, fmt.Sprintf("app-%d.log", file))
	}
	return filepath.Join(w.dir, fmt.Sprintf("app-%d_2020-06-23-%02d.log", file, w.hour))
}

// nextHour makes every file's lines go to a new hourly file from the next
// batch on, as the source documents' apps switch from
// mg_2020-06-23-18.log to mg_2020-06-23-19.log: new names on the task's
// glob, the old files no longer written. Numbering goes on per logical
// file. The first switch leaves app-<file>.log for hour 18.
func (w *writer) nextHour() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hour < 0 {
		w.hour = 18
	} else {
		w.hour++
	}
}

// startWriter writes until stop.
func startWriter(t *testing.T, dir string, files, rate int) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{t: t, dir: dir, rate: rate, written: make([]int, files), hour: -1, stopped: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(w.stopped)
		const tick = 10 * time.Millisecond
		per := max(1, rate/int(time.Second/tick)/files)
		tk := time.NewTicker(tick)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
			if err := w.batch(per); err != nil {
				t.Errorf("writing: %v", err)
				return
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

// batch appends n lines to every file, opening it by name each time so
// that a renamed file is followed by a new one, as a logger reopens.
func (w *writer) batch(n int) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for f := range w.written {
		if err := w.appendLines(f, n, w.path(f)); err != nil {
			return err
		}
	}
	return nil
}

// appendLines writes the next n lines of file to path, which need not be
// the file's usual name (a scenario prepares a file before moving it into
// place); the caller holds w.mu (or is inside paused).
func (w *writer) appendLines(file, n int, path string) error {
	var b strings.Builder
	for range n {
		b.WriteString(lineText(file, w.written[file]))
		b.WriteByte('\n')
		w.written[file]++
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	_, err = fh.WriteString(b.String())
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}

// stop ends writing; written is final afterwards.
func (w *writer) stop() { w.cancel(); <-w.stopped }

// counts returns a copy of the lines written per file so far, or of the
// promised ones after promiseOnly: the lines the oracle expects.
func (w *writer) counts() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.promised != nil {
		return slices.Clone(w.promised)
	}
	return slices.Clone(w.written)
}

// total is the number of lines written so far.
func (w *writer) total() int {
	n := 0
	for _, c := range w.counts() {
		n += c
	}
	return n
}

// paused runs fn between batches: the files do not grow while it runs.
func (w *writer) paused(fn func(written []int)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(w.written)
}

// promiseOnly runs fn between batches, like paused, and makes the lines
// written when fn returns all that the pipeline owes: counts and total
// report them from then on, while writing goes on. A scenario that ends
// collection in fn (a removed task) uses it; a line written later that
// still gets indexed is then a foreign document to the oracle.
func (w *writer) promiseOnly(fn func(written []int)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fn(w.written)
	w.promised = slices.Clone(w.written)
}
