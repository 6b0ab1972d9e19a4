package ctl

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/logagent"
)

// auditFixture is an agent's status key with line counts, and an index
// mapped as logtransfer's template maps it.
type auditFixture struct {
	s      *stack
	es     *esdev.Server
	h0, h1 time.Time // the previous and the current hour
	docs   int
}

func newAuditFixture(t *testing.T) *auditFixture {
	s := newStack(t)
	es := s.newES()
	body := `{"mappings":{"properties":{"host":{"properties":{"name":{"type":"keyword"}}},` +
		`"log":{"properties":{"file":{"properties":{"path":{"type":"keyword"}}}}},` +
		`"event":{"properties":{"created":{"type":"date"}}}}}}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, es.URL()+"/chaos-2024.01.01", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("creating the index: %s", resp.Status)
	}
	h1 := time.Now().UTC().Truncate(time.Hour)
	return &auditFixture{s: s, es: es, h0: h1.Add(-time.Hour), h1: h1}
}

// status writes agent's status key with files.
func (f *auditFixture) status(agent string, since time.Time, files ...logagent.FileLines) {
	st := logagent.Status{Agent: agent, Lines: &logagent.LineCounts{CompleteSince: since, Files: files}}
	b, _ := json.Marshal(st)
	f.s.put(logagent.StatusKey(agent), string(b))
}

// index adds n documents of agent and path read at hour+1m, searchable at
// once.
func (f *auditFixture) index(agent, path string, hour time.Time, n int) {
	f.indexWith(agent, path, hour, n, "?refresh=true")
}

// indexWith is index with the query string of each PUT _doc.
func (f *auditFixture) indexWith(agent, path string, hour time.Time, n int, query string) {
	for range n {
		f.docs++
		indexDoc(f.s.t, f.es, "chaos-2024.01.01", fmt.Sprintf("doc-%d", f.docs), map[string]any{
			"message": "x", "host": map[string]any{"name": agent},
			"log":   map[string]any{"file": map[string]any{"path": path}},
			"event": map[string]any{"created": hour.Add(time.Minute).Format(time.RFC3339Nano)},
		}, query)
	}
}

func hl(hour time.Time, read, acked int64) logagent.HourLines {
	return logagent.HourLines{Hour: hour, Read: read, Acked: acked}
}

func TestAudit(t *testing.T) {
	f := newAuditFixture(t)
	long := f.h0.Add(-24 * time.Hour)
	// web-1: a.log over two hours (one line still in flight), b.log in two
	// generations (copytruncate) under one path.
	f.status("web-1", long,
		logagent.FileLines{FileID: "f1", Path: "/data/a.log", Hours: []logagent.HourLines{hl(f.h0, 3, 3), hl(f.h1, 5, 4)}},
		logagent.FileLines{FileID: "g2", Path: "/data/b.log", Hours: []logagent.HourLines{hl(f.h1, 1, 1)}},
		logagent.FileLines{FileID: "g1", Path: "/data/b.log", Hours: []logagent.HourLines{hl(f.h1, 2, 2)}})
	f.index("web-1", "/data/a.log", f.h0, 3)
	f.index("web-1", "/data/a.log", f.h1, 4)
	f.index("web-1", "/data/b.log", f.h1, 3)

	var rep auditReport
	decodeJSON(t, f.s.ok("audit", "-o", "json"), &rep)
	if rep.Totals != (auditTotals{Read: 11, Acked: 10, Indexed: 10}) {
		t.Errorf("totals %+v, want read 11, acked and indexed 10, no gap", rep.Totals)
	}
	if len(rep.Rows) != 3 || strings.Join(rep.Rows[2].FileIDs, ",") != "g1,g2" {
		t.Errorf("rows %+v, want 3 with b.log's generations g1,g2 summed", rep.Rows)
	}
	out := f.s.ok("audit")
	mustContain(t, out, "AGENT", "HOUR", "INDEXED", "g1,g2", f.h1.Format(hourLayout), "audit: since=", "read=11 acked=10 indexed=10 gaps=0")

	// A line acked but never indexed, and a document no agent acked.
	f.status("web-1", long,
		logagent.FileLines{FileID: "f1", Path: "/data/a.log", Hours: []logagent.HourLines{hl(f.h0, 3, 3), hl(f.h1, 5, 5)}},
		logagent.FileLines{FileID: "g1", Path: "/data/b.log", Hours: []logagent.HourLines{hl(f.h1, 2, 2)}})
	r := f.s.run("audit")
	if r.code != ExitFailure {
		t.Errorf("audit with gaps: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, r.stdout, "MISSING 1", "EXTRA 1", "gaps=2")
	mustContain(t, r.stderr, "audit: 2 row(s)")

	// --wait: the missing line gets indexed while it polls, without a
	// refresh: the audit must keep polling until the index's periodic
	// refresh makes it searchable.
	searches := f.es.Stats().Searches
	done := make(chan result, 1)
	go func() { done <- runWith(t, f.s.env, "audit", "--agent", "web-1", "--wait", "30s") }()
	devstack.WaitFor(t, 10*time.Second, "the audit's first poll", func() bool { return f.es.Stats().Searches > searches })
	f.indexWith("web-1", "/data/a.log", f.h1, 1, "")
	f.status("web-1", long,
		logagent.FileLines{FileID: "f1", Path: "/data/a.log", Hours: []logagent.HourLines{hl(f.h0, 3, 3), hl(f.h1, 5, 5)}},
		logagent.FileLines{FileID: "g1", Path: "/data/b.log", Hours: []logagent.HourLines{hl(f.h1, 3, 3)}})
	if r := <-done; r.code != ExitOK {
		t.Errorf("audit --wait: exit %d after the gap closed:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestAuditJudgement: a line re-read across an hour boundary is shifted,
// not a gap; hours before an agent's counts are whole, and agents without a
// status key, are shown but not judged.
func TestAuditJudgement(t *testing.T) {
	f := newAuditFixture(t)
	f.status("web-1", f.h0.Add(-24*time.Hour),
		logagent.FileLines{FileID: "f1", Path: "/data/a.log", Hours: []logagent.HourLines{hl(f.h0, 2, 2), hl(f.h1, 2, 2)}})
	f.index("web-1", "/data/a.log", f.h0, 3)
	f.index("web-1", "/data/a.log", f.h1, 1)
	// web-2 upgraded this hour: its previous hour is not counted whole.
	f.status("web-2", f.h1, logagent.FileLines{FileID: "k1", Path: "/data/c.log", Hours: []logagent.HourLines{hl(f.h1, 1, 1)}})
	f.index("web-2", "/data/c.log", f.h0, 7)
	f.index("web-2", "/data/c.log", f.h1, 1)
	f.index("web-3", "/data/d.log", f.h1, 2)

	var rep auditReport
	decodeJSON(t, f.s.ok("audit", "-o", "json"), &rep)
	gaps := map[string]string{}
	for _, r := range rep.Rows {
		gaps[fmt.Sprintf("%s %s %v", r.Agent, r.Hour.Format(hourLayout), r.Compared)] = r.Gap
	}
	want := map[string]string{
		"web-1 " + f.h0.Format(hourLayout) + " true":  gapShifted,
		"web-1 " + f.h1.Format(hourLayout) + " true":  gapShifted,
		"web-2 " + f.h0.Format(hourLayout) + " false": "",
		"web-2 " + f.h1.Format(hourLayout) + " true":  "",
		"web-3 " + f.h1.Format(hourLayout) + " false": "",
	}
	if fmt.Sprint(gaps) != fmt.Sprint(want) {
		t.Errorf("rows (agent hour compared → gap)\n%v\nwant\n%v", gaps, want)
	}
	if rep.Totals.Gaps != 0 || rep.Totals.Uncompared != 9 {
		t.Errorf("totals %+v, want no gap and 9 documents not compared", rep.Totals)
	}
	out := f.s.ok("audit")
	mustContain(t, out, "shifted", "not compared", "counts whole only since", "in the index but no status key")

	if r := f.s.run("audit", "--since", "72h"); r.code != ExitUsage {
		t.Errorf("--since beyond the agents' window: exit %d", r.code)
	}
}

// TestAuditListsLosses: what an agent reports lost at the source (a file
// deleted or truncated before it was read) is listed apart, per file and
// hour found, with its reason, within --since only; it makes no gap and does
// not fail the audit.
func TestAuditListsLosses(t *testing.T) {
	f := newAuditFixture(t)
	st := logagent.Status{Agent: "web-1", Lines: &logagent.LineCounts{CompleteSince: f.h0.Add(-24 * time.Hour),
		Files: []logagent.FileLines{{FileID: "f1", Path: "/data/a.log", Hours: []logagent.HourLines{hl(f.h1, 2, 2)}}},
		Lost: []logagent.LostFile{
			{Task: "web", Path: "/data/old.log", FileID: "o1", Reason: "deleted", Bytes: 7, Hour: f.h0.Add(-30 * time.Hour)},
			{Task: "web", Path: "/data/a.log", FileID: "f0", Reason: "truncated", Bytes: 4096, Hour: f.h0},
			{Task: "web", Path: "/data/b.log", FileID: "g1", Reason: "deleted", Bytes: 120, Lines: 2, Hour: f.h1},
		}}}
	b, _ := json.Marshal(st)
	f.s.put(logagent.StatusKey("web-1"), string(b))
	f.index("web-1", "/data/a.log", f.h1, 2)

	var rep auditReport
	decodeJSON(t, f.s.ok("audit", "-o", "json"), &rep)
	if len(rep.Lost) != 2 || rep.Lost[0].Path != "/data/a.log" || rep.Lost[0].Reason != "truncated" ||
		rep.Lost[1].Lines != 2 || rep.Totals.LostBytes != 4216 || rep.Totals.LostLines != 2 || rep.Totals.Gaps != 0 {
		t.Errorf("lost %+v, totals %+v; want a.log truncated and b.log deleted (4216 bytes, 2 lines), not the loss before --since, no gap",
			rep.Lost, rep.Totals)
	}
	out := f.s.ok("audit")
	mustContain(t, out, "LOST FROM FILE", "/data/b.log", "truncated", "unknown", f.h0.Format(hourLayout), "lost_bytes=4216 lost_lines=2")
	if strings.Contains(out, "/data/old.log") {
		t.Errorf("a loss older than --since is listed:\n%s", out)
	}
}
