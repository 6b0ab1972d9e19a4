package demo

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDemoUnattended is `make demo ARGS='--for 6s'` in-process, at a rate
// the race detector keeps up with: every written line must be indexed
// exactly once, the files must roll, the final line must be the last one,
// and nothing may keep running afterwards.
func TestDemoUnattended(t *testing.T) {
	o := DefaultOptions()
	o.Rate, o.For, o.Roll = 500, 6*time.Second, 2*time.Second
	res, out := runDemo(t, &o, 2000)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != res.String() {
		t.Errorf("last line %q, want the final line %q", last, res.String())
	}
	files, _ := filepath.Glob(filepath.Join(o.Dir, "logs", "mg_*.log"))
	if len(files) < 3 {
		t.Errorf("%d hourly files (%v), want at least 3 over 6s rolling every 2s", len(files), files)
	}
	waitGoroutines(t)
}

// runDemo runs the demo in-process with o, its directory a temporary one
// of the test, its output logged and returned; it fails the test unless
// the demo ran and indexed each of at least minLines lines exactly once.
// It skips the test under -short.
func runDemo(t *testing.T, o *Options, minLines int64) (Result, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	var out bytes.Buffer
	o.Dir, o.Out = t.TempDir(), &out
	res, err := Run(t.Context(), *o)
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Indexed != res.Written || res.Written < minLines {
		t.Errorf("%v: want every one of at least %d lines indexed once", res, minLines)
	}
	return res, out.String()
}

// processSingletons are goroutines libraries start once per process and
// never stop: sarama's metrics ticker and nxadm/tail's shared inotify
// watcher.
var processSingletons = []string{
	"github.com/rcrowley/go-metrics.(*meterArbiter).tick",
	"github.com/nxadm/tail/watch.(*InotifyTracker).run",
	"github.com/fsnotify/fsnotify.(*Watcher).readEvents",
}

// waitGoroutines fails the test if goroutines other than the test's own and
// the process singletons remain 10 s after the demo returned (clients
// finish closing asynchronously).
func waitGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := strayGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines still running after the demo:\n\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func strayGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "testing.") || slices.ContainsFunc(processSingletons, func(s string) bool { return strings.Contains(g, s) }) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func TestLineSeq(t *testing.T) {
	g := newGenerator(t.TempDir(), 1, time.Hour, newOracle(time.Minute, &writeLog{}), time.Now())
	for seq := range int64(50) {
		l := line(g.rnd, time.Now(), seq)
		got, ok := lineSeq(l)
		if !ok || got != seq {
			t.Fatalf("lineSeq(%q) = %d, %v; want %d", l, got, ok, seq)
		}
	}
	if _, ok := lineSeq("GET / HTTP/1.1 200"); ok {
		t.Error("a line without a request id has a sequence number")
	}
}

func TestFileNames(t *testing.T) {
	start := time.Date(2020, 6, 23, 18, 40, 0, 0, time.UTC)
	tests := []struct {
		name string
		roll time.Duration
		at   time.Duration
		want string
	}{
		{"wall clock", time.Hour, 0, "mg_2020-06-23-18.log"},
		{"wall clock next hour", time.Hour, 25 * time.Minute, "mg_2020-06-23-19.log"},
		{"fast roll first", 30 * time.Second, 29 * time.Second, "mg_2020-06-23-18.log"},
		{"fast roll third", 30 * time.Second, 61 * time.Second, "mg_2020-06-23-20.log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGenerator(t.TempDir(), 1, tt.roll, newOracle(time.Minute, &writeLog{}), start)
			if got := g.fileName(start.Add(tt.at)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLatencyQuantiles(t *testing.T) {
	h := newMSHist()
	for ms := 1; ms <= 100; ms++ {
		h.add(time.Duration(ms) * time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := h.quantile(q); got != want {
			t.Errorf("quantile(%v) = %s, want %s", q, got, want)
		}
	}
	log := &writeLog{}
	at := time.Date(2020, 6, 23, 18, 0, 0, 0, time.UTC)
	log.add(0, at)
	log.add(20, at.Add(10*time.Millisecond))
	for seq, want := range map[int64]time.Time{0: at, 19: at, 20: at.Add(10 * time.Millisecond), 99: at.Add(10 * time.Millisecond)} {
		if got, ok := log.at(seq); !ok || !got.Equal(want) {
			t.Errorf("at(%d) = %s, want %s", seq, got, want)
		}
	}
	// A refresh making line 7 and a foreign document searchable 30ms after
	// line 7's write: one latency of 30ms, the foreign document ignored.
	c := newClock(log)
	c.observe("i", at.Add(30*time.Millisecond), []json.RawMessage{
		json.RawMessage(`{"message":"x req_id=` + reqID(7) + `"}`), json.RawMessage(`{"message":"no id"}`), json.RawMessage(`[]`)})
	if c.searchable() != 1 || c.quantile(1) != 30*time.Millisecond {
		t.Errorf("observe: %d searchable, max %s; want 1, 30ms", c.searchable(), c.quantile(1))
	}
}
