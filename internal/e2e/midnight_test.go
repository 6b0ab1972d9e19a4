//go:build linux

package e2e

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A day boundary the test controls: the transfer runs in a time zone of
// its own whose local midnight falls a few seconds after the daemons start,
// so that daily indices really turn over while lines are in flight.

// midnightZone is the name of the test's zone under the ZONEINFO directory.
const midnightZone = "Test/Midnight"

// withMidnightIn runs the stack's transfer in a zone whose local midnight
// falls d from now (whole seconds), kept in s.midnight.
func withMidnightIn(d time.Duration) stackOption {
	return func(s *stack) {
		s.midnight = time.Now().Truncate(time.Second).Add(d)
		off := -(s.midnight.Unix() % 86400) // local = UTC + off is 00:00:00 at midnight
		if off <= -43200 {
			off += 86400
		}
		dir := filepath.Join(s.dir, "zoneinfo")
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(midnightZone)), 0o750); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, midnightZone), tzif(int32(off)), 0o600); err != nil {
			s.t.Fatal(err)
		}
		s.zone, s.zoneEnv = midnightZone, []string{"ZONEINFO=" + dir}
	}
}

// tzif is a TZif (version 1) zone file of one fixed offset east of UTC, in
// seconds, without transitions: what time.LoadLocation reads.
func tzif(off int32) []byte {
	b := append([]byte("TZif"), make([]byte, 16)...) // version 1, 15 reserved
	// isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
	for _, n := range []uint32{0, 0, 0, 0, 1, 4} {
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(off))
	b = append(b, 0, 0) // not DST, abbreviation at 0
	return append(b, "TST\x00"...)
}

// midnightIn is how long after the daemons start the zone turns the day:
// long enough for the stack's first lines, and in the chaos row for the
// writer's lead before the fault.
const midnightIn = 8 * time.Second

// killAcrossMidnight SIGKILLs the agent just before the transfer's midnight
// and starts it again just after. So that lines are surely in flight, the
// broker holds the first produce request sent in the last 600 ms before
// midnight until about midnight: its lines reach Kafka (and the index, in
// the old day) while the agent that sent them is dead and saved no position
// past them.
func killAcrossMidnight(r *run) {
	m := r.s.midnight
	if time.Until(m) < time.Second {
		r.t.Fatalf("the stack took too long to start: its midnight (%s) is %s away", m.Format(time.TimeOnly), time.Until(m))
	}
	time.Sleep(time.Until(m.Add(-600 * time.Millisecond)))
	if _, err := r.s.cloud.DelayProduces(topic, 1, 600*time.Millisecond); err != nil {
		r.t.Fatal(err)
	}
	time.Sleep(time.Until(m.Add(-150 * time.Millisecond)))
	r.s.agent.kill()
	time.Sleep(time.Until(m.Add(300 * time.Millisecond)))
	r.s.agent.start()
}

var midnightScenarios = []scenario{
	{name: "restart-across-midnight", chaosOnly: true, opts: []stackOption{withMidnightIn(chaosTiming().lead + midnightIn)}, fault: killAcrossMidnight},
}

// TestRestartAcrossMidnight: the agent is killed with lines in flight just
// before midnight in the transfer's zone and started again just after.
// Every line must be exactly one document across the daily indices — the
// re-read lines keep the lp.ts they were first sent with, so they target the
// index of their first copy — and logctl audit must find no gap.
func TestRestartAcrossMidnight(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real daemons and the whole stack")
	}
	tm := chaosTiming()
	s := newStack(t, withMidnightIn(midnightIn))
	w := startWriter(t, s.logs, files, tm.rate)
	killAcrossMidnight(&run{t: t, s: s, w: w, tm: tm})
	// Lines written while the agent was down, up to its last anchor's
	// reservation (about two seconds of a file), keep the time before
	// midnight; the tail must outlast it for the new day to show.
	time.Sleep(2 * tm.tail)
	written, tl := stopAndCount(t, s, w, tm)
	perIndex := map[string]int{}
	for _, index := range s.es.Indices() {
		if strings.HasPrefix(index, topic+"-") {
			s.es.EachMessage(index, func(string) { perIndex[index]++ })
		}
	}
	resent := cloudRecords(t, s, written) - tl.written
	t.Logf("midnight %s UTC; documents per index %v; %d lines re-sent after the kill; oracle: written=%d indexed=%d missing=%d duplicates=%d",
		s.midnight.UTC().Format(time.TimeOnly), perIndex, resent, tl.written, tl.indexed, tl.missing, tl.duplicates)
	if len(perIndex) < 2 {
		t.Errorf("documents in %d daily index, want both sides of midnight: the test proved nothing", len(perIndex))
	}
	if resent <= 0 {
		t.Errorf("no line was re-sent after the kill: none was in flight, the test proved nothing")
	}
	if tl.missing > 0 || tl.duplicates > 0 || tl.foreign > 0 {
		t.Fatalf("%d lines written: %d missing, %d in more than one document, %d foreign", tl.written, tl.missing, tl.duplicates, tl.foreign)
	}
	rep, table := runAudit(t, s)
	if tt := rep.Totals; tt.Gaps != 0 || tt.Acked != int64(tl.written) || tt.Indexed != int64(tl.written) {
		t.Errorf("audit totals acked=%d indexed=%d gaps=%d, want %d, %d, 0:\n%s", tt.Acked, tt.Indexed, tt.Gaps, tl.written, tl.written, table)
	}
}
