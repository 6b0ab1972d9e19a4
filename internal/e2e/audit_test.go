//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/ctl"
	"github.com/logpipe/logpipe/internal/devstack"
)

// auditTotals is the part of `logctl audit -o json` this test reads.
type auditTotals struct {
	Rows []struct {
		Gap      string `json:"gap"`
		Compared bool   `json:"compared"`
	} `json:"rows"`
	Totals struct {
		Read, Acked, Indexed int64
		Gaps                 int
		Uncompared           int64 `json:"uncompared_indexed"`
	} `json:"totals"`
}

// TestAuditAgreesWithOracle: after a run in which the agent is SIGKILLed
// once, logctl audit — the agents' own read/acked counts against an
// aggregation of the index — finds no gap, and its totals equal what the
// writer wrote and what the oracle found indexed.
func TestAuditAgreesWithOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real daemons and the whole stack")
	}
	tm := chaosTiming()
	s := newStack(t)
	w := startWriter(t, s.logs, files, tm.rate)
	time.Sleep(tm.lead)
	s.agent.kill()
	s.agent.start()
	time.Sleep(tm.tail)
	written, tl := stopAndCount(t, s, w, tm)
	if tl.missing > 0 || tl.duplicates > 0 || tl.foreign > 0 {
		t.Fatalf("oracle: %d lines written: %d missing, %d duplicated, %d foreign", tl.written, tl.missing, tl.duplicates, tl.foreign)
	}

	rep, table := runAudit(t, s)
	tt := rep.Totals
	want := int64(tl.written)
	if tt.Gaps != 0 || tt.Acked != want || tt.Indexed != want || tt.Read != want || tt.Uncompared != 0 {
		t.Errorf("audit totals read=%d acked=%d indexed=%d gaps=%d uncompared=%d; the oracle counted %d written, %d indexed once",
			tt.Read, tt.Acked, tt.Indexed, tt.Gaps, tt.Uncompared, tl.written, tl.indexed)
	}
	for _, r := range rep.Rows {
		if !r.Compared {
			t.Errorf("a row was not compared (the agent's counts should be whole from its first start):\n%s", table)
			break
		}
	}
	t.Logf("logctl audit after one agent SIGKILL (oracle: written=%d indexed=%d missing=%d duplicates=%d; "+
		"records in the cloud topic: %d):\n%s",
		tl.written, tl.indexed, tl.missing, tl.duplicates, cloudRecords(t, s, written), strings.TrimSpace(table))
}

// stopAndCount stops the writer, waits until the index holds as many
// documents as lines were written, and counts them with the oracle.
func stopAndCount(t *testing.T, s *stack, w *writer, tm timing) ([]int, tally) {
	t.Helper()
	w.stop()
	written := w.counts()
	tl := tally{written: w.total()}
	devstack.WaitFor(t, tm.drainTimeout, "every written line indexed", func() bool { return s.es.Count(indices) >= tl.written })
	if err := checkIndex(s.es, written, &tl); err != nil {
		t.Fatal(err)
	}
	return written, tl
}

// runAudit runs logctl audit over the stack's last two hours and returns
// its JSON report and its table. The agent refreshes its status key every
// status_interval: --wait covers a status older than the last acks.
func runAudit(t *testing.T, s *stack) (auditTotals, string) {
	t.Helper()
	audit := func(extra ...string) (int, string, string) {
		args := append([]string{"audit", "--etcd", s.etcd.Endpoint(), "--es", s.es.URL(), "--index", indices,
			"--since", "2h", "--wait", "60s"}, extra...)
		var out, errb bytes.Buffer
		code := ctl.Run(t.Context(), args, &out, &errb, func(string) string { return "" })
		return code, out.String(), errb.String()
	}
	code, out, errs := audit("-o", "json")
	if code != ctl.ExitOK {
		t.Fatalf("logctl audit: exit %d\n%s%s", code, out, errs)
	}
	var rep auditTotals
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit -o json: %v\n%s", err, out)
	}
	_, table, _ := audit()
	return rep, table
}

// cloudRecords counts the records in the cloud topic once every written
// line was seen there: above the lines written, the agent re-sent lines
// after its SIGKILL, which the audit's acked counts must not count twice.
func cloudRecords(t *testing.T, s *stack, written []int) int {
	records, _, err := cloudCopies(t.Context(), s, written)
	if err != nil {
		t.Errorf("reading the cloud topic: %v", err)
	}
	return records
}
