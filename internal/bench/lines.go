package bench

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// lineGen makes realistic log lines of about 250 bytes: nginx access lines
// and JSON application lines, mixed 1:1, varied by a seeded generator so
// every run writes the same bytes.
type lineGen struct {
	r *rand.Rand
	n int64
}

func newLineGen(seed uint64) *lineGen {
	return &lineGen{r: rand.New(rand.NewPCG(seed, 0x6c6f6770697065))}
}

var (
	paths   = []string{"/api/v1/goods/", "/api/v1/orders/", "/api/v2/cart/items/", "/m/detail/", "/api/v1/user/profile/"}
	agents  = []string{"Mozilla/5.0 (iPhone; CPU iPhone OS 13_5 like Mac OS X) AppleWebKit/605.1.15", "Mozilla/5.0 (Linux; Android 10; SM-G9750) AppleWebKit/537.36 Chrome/83.0.4103.106", "okhttp/3.12.1"}
	loggers = []string{"order.service", "cart.service", "pay.gateway", "user.session"}
	msgs    = []string{"order created", "cart updated", "payment callback verified", "session refreshed", "inventory reserved"}
	levels  = []string{"info", "info", "info", "warn", "debug"}
	status  = []int{200, 200, 200, 200, 200, 304, 302, 404, 499, 502}
)

// appendLine appends one line with its newline. stamp > 0 adds the write
// time under StampKey for the e2e latency measurement.
func (g *lineGen) appendLine(b []byte, stamp int64) []byte {
	g.n++
	r := g.r
	now := time.Date(2020, 6, 23, 18, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Duration(g.n) * time.Millisecond)
	if g.n%2 == 0 {
		b = append(b, "10."...)
		b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
		b = append(b, " - - ["...)
		b = now.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
		b = append(b, `] "GET `...)
		b = append(b, paths[r.IntN(len(paths))]...)
		b = strconv.AppendInt(b, int64(r.IntN(1_000_000)), 10)
		b = append(b, "?channel=app&uid="...)
		b = strconv.AppendInt(b, int64(r.IntN(10_000_000)), 10)
		b = append(b, ` HTTP/1.1" `...)
		b = strconv.AppendInt(b, int64(status[r.IntN(len(status))]), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(200+r.IntN(30_000)), 10)
		b = append(b, ` "https://m.example.com/goods/detail.html" "`...)
		b = append(b, agents[r.IntN(len(agents))]...)
		b = append(b, `" rt=0.`...)
		b = strconv.AppendInt(b, int64(100+r.IntN(900)), 10)
		b = append(b, " upstream=10.0.3."...)
		b = strconv.AppendInt(b, int64(10+r.IntN(90)), 10)
		b = append(b, ":8080"...)
		if stamp > 0 {
			b = append(b, " "+StampKey+"="...)
			b = strconv.AppendInt(b, stamp, 10)
		}
		return append(b, '\n')
	}
	b = append(b, `{"time":"`...)
	b = now.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, `","level":"`...)
	b = append(b, levels[r.IntN(len(levels))]...)
	b = append(b, `","service":"mall-api","logger":"`...)
	b = append(b, loggers[r.IntN(len(loggers))]...)
	b = append(b, `","msg":"`...)
	b = append(b, msgs[r.IntN(len(msgs))]...)
	b = append(b, `","trace_id":"`...)
	for range 2 {
		b = strconv.AppendUint(b, r.Uint64()|1<<63, 16)
	}
	b = append(b, `","user_id":`...)
	b = strconv.AppendInt(b, int64(r.IntN(10_000_000)), 10)
	b = append(b, `,"order_id":"O`...)
	b = strconv.AppendInt(b, 2020062318000000+g.n, 10)
	b = append(b, `","amount_cents":`...)
	b = strconv.AppendInt(b, int64(r.IntN(100_000)), 10)
	b = append(b, `,"latency_ms":`...)
	b = strconv.AppendInt(b, int64(r.IntN(500)), 10)
	if stamp > 0 {
		b = append(b, `,"`+StampKey+`":`...)
		b = strconv.AppendInt(b, stamp, 10)
	}
	return append(b, "}\n"...)
}

// writeLines writes n lines to a new file at path and returns its size.
// It returns once every dirty page of the machine is on disk, so that the
// kernel's flusher (dirty_expire_centisecs, 30 s) does not write back the
// file (~480 MB for the throughput scenario) or, in a full run, the daemons
// just built, while the agent is measured. The suspect: the first scenario
// of a full run, right after the build, once measured 383k lines/s at 1.65
// CPU-s per M lines, and the same scenario run again 745-840k at ~1.0.
func writeLines(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	g := newLineGen(1)
	var buf []byte
	var size int64
	for range n {
		buf = g.appendLine(buf[:0], 0)
		size += int64(len(buf))
		if _, err := w.Write(buf); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	syscall.Sync()
	return size, nil
}

// rateWriter appends lines to a file at a steady rate, the way an
// application logs: every tick it writes, in one write call, the lines due
// since the start.
type rateWriter struct {
	path  string
	rate  int  // lines per second
	stamp bool // embed the write time (StampKey)
	// perLine writes each line with a write call of its own, as an
	// application's logger does, instead of one write per tick.
	perLine bool
	written atomic.Int64
}

// start runs the writer in the background; stop ends it and returns its
// error (it may be called more than once).
func (w *rateWriter) start(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- w.run(ctx) }()
	return sync.OnceValue(func() error { cancel(); return <-errc })
}

// run writes until ctx is done and returns the first write error.
func (w *rateWriter) run(ctx context.Context) error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	g := newLineGen(2)
	start := time.Now()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		due := int64(time.Since(start).Seconds() * float64(w.rate))
		n := due - w.written.Load()
		if n <= 0 {
			continue
		}
		buf = buf[:0]
		var ts int64
		if w.stamp {
			ts = time.Now().UnixNano()
		}
		for range n {
			start := len(buf)
			buf = g.appendLine(buf, ts)
			if w.perLine {
				if _, err := f.Write(buf[start:]); err != nil {
					return err
				}
			}
		}
		if !w.perLine {
			if _, err := f.Write(buf); err != nil {
				return err
			}
		}
		w.written.Add(n)
	}
}

// rateWriters spread a rate over files app-0.log, app-1.log, … of a
// directory (one file: app.log), each written as rateWriter does.
type rateWriters []*rateWriter

func newRateWriters(dir string, files, rate int, perLine bool) rateWriters {
	if files <= 1 {
		return rateWriters{{path: filepath.Join(dir, "app.log"), rate: rate, stamp: true, perLine: perLine}}
	}
	ws := make(rateWriters, files)
	for i := range ws {
		r := rate / files
		if i < rate%files {
			r++
		}
		ws[i] = &rateWriter{path: filepath.Join(dir, fmt.Sprintf("app-%d.log", i)), rate: r, stamp: true, perLine: perLine}
	}
	return ws
}

// start starts every writer; stop stops them all and returns the first error.
func (ws rateWriters) start(ctx context.Context) (stop func() error) {
	stops := make([]func() error, len(ws))
	for i, w := range ws {
		stops[i] = w.start(ctx)
	}
	return func() error {
		var first error
		for _, s := range stops {
			if err := s(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
}

// written is the lines written so far over all files.
func (ws rateWriters) written() int64 {
	var n int64
	for _, w := range ws {
		n += w.written.Load()
	}
	return n
}
