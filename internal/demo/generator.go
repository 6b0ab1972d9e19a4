package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// generatorTick is how often the generator writes what is due.
const generatorTick = 10 * time.Millisecond

// generator appends lines to hourly files mg_YYYY-MM-DD-HH.log in dir at a
// steady rate. It tells the oracle a 32-bit hash of every line it writes,
// so the check can compare each document with the line it stands for.
type generator struct {
	dir   string
	rate  int
	roll  time.Duration
	rnd   *rand.Rand
	start time.Time
	hour0 time.Time

	oracle  *oracle
	f       *os.File
	name    string
	files   atomic.Int64
	written atomic.Int64
	// hashes is the batch being written, reused.
	hashes []uint32
}

// newGenerator prepares a generator; with roll == time.Hour files follow
// the wall clock, otherwise a new "hour" starts every roll.
func newGenerator(dir string, rate int, roll time.Duration, o *oracle, now time.Time) *generator {
	return &generator{dir: dir, rate: rate, roll: roll, rnd: rand.New(rand.NewPCG(1, 2)), oracle: o,
		start: now, hour0: now.Truncate(time.Hour)}
}

// fileName is the hourly file a line written at now goes to.
func (g *generator) fileName(now time.Time) string {
	h := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 0, 0, 0, now.Location())
	if g.roll != time.Hour {
		h = g.hour0.Add(time.Duration(now.Sub(g.start)/g.roll) * time.Hour)
	}
	return h.Format("mg_2006-01-02-15.log")
}

// write appends n lines at now, rolling to a new file when the hour
// changed. Lines are written whole, in one write call per batch.
func (g *generator) write(now time.Time, n int) error {
	if name := g.fileName(now); name != g.name || g.f == nil {
		if err := g.close(); err != nil {
			return err
		}
		f, err := os.OpenFile(filepath.Join(g.dir, name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("opening log file: %w", err)
		}
		g.f, g.name = f, name
		g.files.Add(1)
	}
	var b strings.Builder
	first := g.written.Load()
	g.hashes = g.hashes[:0]
	for i := range int64(n) {
		l := line(g.rnd, now, first+i)
		g.hashes = append(g.hashes, lineHash(l))
		b.WriteString(l)
		b.WriteByte('\n')
	}
	g.oracle.wrote(first, g.hashes, time.Now())
	if _, err := g.f.WriteString(b.String()); err != nil {
		return fmt.Errorf("writing log file: %w", err)
	}
	g.written.Add(int64(n))
	return nil
}

// run writes rate lines a second until ctx is done, catching up when a
// tick came late, and closes the current file.
func (g *generator) run(ctx context.Context) error {
	t := time.NewTicker(generatorTick)
	defer t.Stop()
	began, base := time.Now(), g.written.Load()
	for {
		select {
		case <-ctx.Done():
			return g.close()
		case now := <-t.C:
			due := base + int64(now.Sub(began).Seconds()*float64(g.rate))
			if n := due - g.written.Load(); n > 0 {
				if err := g.write(now, int(n)); err != nil {
					return errors.Join(err, g.close())
				}
			}
		}
	}
}

func (g *generator) close() error {
	if g.f == nil {
		return nil
	}
	err := g.f.Close()
	g.f = nil
	return err
}
