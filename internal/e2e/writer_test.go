//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A line is "f=<file> seq=<n> <padding>": the oracle recovers which
// written line a document or record holds from its first two fields.
const linePad = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"

func lineText(file, seq int) string { return fmt.Sprintf("f=%d seq=%010d %s", file, seq, linePad) }

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
	stopped chan struct{}
	cancel  context.CancelFunc
}

func (w *writer) path(file int) string {
	return filepath.Join(w.dir, fmt.Sprintf("app-%d.log", file))
}

// startWriter writes until stop.
func startWriter(t *testing.T, dir string, files, rate int) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{t: t, dir: dir, rate: rate, written: make([]int, files), stopped: make(chan struct{}), cancel: cancel}
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
		var b strings.Builder
		for range n {
			b.WriteString(lineText(f, w.written[f]))
			b.WriteByte('\n')
			w.written[f]++
		}
		fh, err := os.OpenFile(w.path(f), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		_, err = fh.WriteString(b.String())
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stop ends writing; written is final afterwards.
func (w *writer) stop() { w.cancel(); <-w.stopped }

// counts returns a copy of the lines written per file so far.
func (w *writer) counts() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.written...)
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
