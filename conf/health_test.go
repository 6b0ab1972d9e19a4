package conf

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func countLines(b *bytes.Buffer) int     { return strings.Count(b.String(), "\n") }
func newTestCondition(b *bytes.Buffer, c *fakeClock, hook func(old, cur State)) *Condition {
	log := slog.New(slog.NewTextHandler(b, nil))
	return NewCondition(log, WithClock(c.now), WithReportEvery(time.Minute), WithStateHook(hook))
}

// A unit failing per record logs once per interval per reason, with the
// count of what it did not log, and its recovery once.
func TestConditionRateLimitsLogging(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var changes []string
	c := newTestCondition(&out, clk, func(old, cur State) { changes = append(changes, string(old)+">"+string(cur)) })
	start := clk.t
	for range 10000 {
		c.Trouble(StateFailing, "index blocked")
		clk.add(time.Millisecond) // 10 s in all
	}
	if n := countLines(&out); n != 1 {
		t.Fatalf("%d log lines for 10,000 failures within one interval, want 1:\n%s", n, out.String())
	}
	h := c.Health()
	if h.State != StateFailing || h.Reason != "index blocked" || !h.Since.Equal(start) || h.Count != 10000 {
		t.Fatalf("health = %+v", h)
	}
	clk.add(time.Minute)
	c.Trouble(StateFailing, "index blocked")
	if n := countLines(&out); n != 2 || !strings.Contains(out.String(), "repeated=9999") {
		t.Fatalf("after an interval: %d lines, want 2 with repeated=9999:\n%s", n, out.String())
	}
	// A different reason is news: logged at once, since restarts.
	c.Trouble(StateWaiting, "broker down")
	if n := countLines(&out); n != 3 {
		t.Fatalf("new reason: %d lines, want 3", n)
	}
	if h := c.Health(); h.State != StateWaiting || !h.Since.Equal(clk.t) || h.Count != 1 {
		t.Fatalf("health after new reason = %+v", h)
	}
	c.OK()
	c.OK()
	if n := countLines(&out); n != 4 || !strings.Contains(out.String(), "unit recovered") {
		t.Fatalf("recovery: %d lines, want 4:\n%s", n, out.String())
	}
	if h := c.Health(); h.Degraded() {
		t.Fatalf("health after OK = %+v", h)
	}
	want := "running>failing failing>waiting waiting>running"
	if got := strings.Join(changes, " "); got != want {
		t.Fatalf("state hook calls %q, want %q", got, want)
	}
}

// A unit flapping between running and waiting (an occasional 429) logs
// about once per interval, not twice per episode.
func TestConditionFlappingLogsOncePerInterval(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newTestCondition(&out, clk, nil)
	for range 100 {
		c.Trouble(StateWaiting, "429 too many requests")
		clk.add(100 * time.Millisecond)
		c.OK()
		clk.add(100 * time.Millisecond) // 20 s in all: within one interval
	}
	if n := countLines(&out); n != 2 {
		t.Fatalf("%d log lines for 100 episodes within one interval, want 2 (trouble, recovery):\n%s", n, out.String())
	}
	clk.add(time.Minute)
	c.Trouble(StateWaiting, "429 too many requests")
	c.OK()
	if n := countLines(&out); n != 4 || !strings.Contains(out.String(), "repeated=99") || !strings.Contains(out.String(), "recoveries_not_logged=99") {
		t.Fatalf("after an interval: %d lines, want 4 with the counts:\n%s", n, out.String())
	}
}

// Ever-new reasons cannot grow the condition's memory.
func TestConditionBoundsReasons(t *testing.T) {
	var out bytes.Buffer
	clk := &fakeClock{t: time.Now()}
	c := newTestCondition(&out, clk, nil)
	for i := range 1000 {
		c.Trouble(StateWaiting, strings.Repeat("x", i%50)+"reason")
		clk.add(time.Millisecond)
	}
	if n := len(c.reasons); n > maxReasons {
		t.Fatalf("%d reasons remembered, bound %d", n, maxReasons)
	}
}
