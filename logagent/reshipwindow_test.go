package logagent

import (
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// setLedger replaces the audit ledger's hours of every file generation
// once the agent committed want lines to it.
func setLedger(t *testing.T, a *runningAgent, want int64, hours map[int64]int64) {
	t.Helper()
	devstack.WaitFor(t, 10*time.Second, "the ledger holds every line", func() bool {
		a.pos.mu.Lock()
		defer a.pos.mu.Unlock()
		var n int64
		for _, f := range a.pos.lines.Files {
			for _, c := range f.Hours {
				n += c
			}
		}
		return n == want
	})
	a.pos.mu.Lock()
	defer a.pos.mu.Unlock()
	for _, f := range a.pos.lines.Files {
		f.Hours = hours
	}
}

// TestReshipTimeWindow: a time window is mapped to a byte range by the
// audit ledger, rounded out to whole hours, and refused when the ledger
// does not account for every line. The ledger is set as an agent that read
// lines 0-29 an hour earlier than the rest would have kept it.
func TestReshipTimeWindow(t *testing.T) {
	e := newEnv(t)
	path := join(e.logs, "app.log")
	offs := lineOffsets(writeLines(t, path, "app", 0, 100))
	e.putTask("agent-1", "app", Task{Path: path, Topic: "orig"})
	cfg := e.config()
	cfg.Agent.CloseInactive = 300 * time.Millisecond // the harvester ends: its lines are all in the ledger
	a := e.start(cfg)
	e.readDistinct("orig", 100, 20*time.Second)
	waitSaved(t, a, path, offs[100])
	h := hourOf(time.Now().Unix())
	setLedger(t, a, 100, map[int64]int64{h - 3600: 30, h: 70})

	at := func(hour int64, min int) time.Time { return time.Unix(hour, 0).Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name           string
		from, to       time.Time
		state          string
		wantFrom, want int64 // range start, lines
		reason         string
	}{
		{name: "earlier-hour", from: at(h-3600, 10), to: at(h-3600, 20), state: ReshipDone, wantFrom: offs[0], want: 30},
		{name: "this-hour", from: at(h, 0), to: at(h+3600, 0), state: ReshipDone, wantFrom: offs[30], want: 70},
		{name: "both", from: at(h-3600, 59), to: at(h, 1), state: ReshipDone, wantFrom: offs[0], want: 100},
		{name: "none", from: at(h-5*3600, 0), to: at(h-4*3600, 0), state: ReshipRefused, reason: "no line of the file was counted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.putReship(tt.name, Reship{Path: path, FromTime: tt.from, ToTime: tt.to, Topic: "w-" + tt.name})
			s := e.waitReship(tt.name)
			st := reshipsOf(t, a)[tt.name]
			if s.State != tt.state || !strings.Contains(s.Reason, tt.reason) || s.Acked != tt.want || (tt.want > 0 && st.From != tt.wantFrom) {
				t.Errorf("reship %+v, want %s from %d with %d lines %q", st, tt.state, tt.wantFrom, tt.want, tt.reason)
			}
		})
	}
	setLedger(t, a, 100, map[int64]int64{h: 99})
	e.putReship("short", Reship{Path: path, FromTime: at(h, 0), ToTime: at(h+3600, 0)})
	if s := e.waitReship("short"); s.State != ReshipRefused || !strings.Contains(s.Reason, "do not account for every line") {
		t.Errorf("reship with a ledger short of a line: %+v, want refused", s)
	}
}
