package ctl

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// logctl audit: a second oracle. The agents count, per file generation and
// UTC hour of read time, the lines they read and the lines Kafka acked
// (logagent/linecount.go, in their status keys); Elasticsearch counts the
// documents per host.name, log.file.path and hour of event.created (the
// same read time). Every acked line must be indexed once: acked > indexed
// is a line lost (or not there yet), indexed > acked a counting bug, since
// op_type=create with stable ids makes duplicates impossible.
//
// Rows are per agent, path and hour: documents carry the path, not the file
// id, so rotated generations sharing a path are compared summed (exactly:
// both sides count the same lines), with the file ids listed. A line
// re-read after an agent crash at an hour boundary may sit in one hour on
// one side and in the next on the other (logagent/linecount.go): a row that
// differs while its file's total agrees is marked shifted, not a gap.

// Lines the agents could no longer ship (a file deleted, rotated away or
// truncated before they read it: logagent/lost.go) are never acked, so they
// make no gap: the audit lists them apart, per agent, file and hour found,
// with the reason, from the same /status/lines. They do not fail the audit
// (nothing downstream can fix them); the agent's metric and alert do.

// auditLoss is one file's loss, as its agent reported it.
type auditLoss struct {
	Agent  string    `json:"agent"`
	Task   string    `json:"task"`
	Path   string    `json:"path"`
	FileID string    `json:"file_id"`
	Hour   time.Time `json:"hour"`
	Reason string    `json:"reason"`
	Bytes  int64     `json:"bytes"`
	Lines  int64     `json:"lines,omitempty"`
}

// auditRow is one agent, path and hour.
type auditRow struct {
	Agent   string    `json:"agent"`
	Path    string    `json:"path"`
	FileIDs []string  `json:"file_ids"`
	Hour    time.Time `json:"hour"`
	Read    int64     `json:"read"`
	Acked   int64     `json:"acked"`
	Indexed int64     `json:"indexed"`
	// Gap is "missing" (acked, not indexed), "extra" (indexed, not acked),
	// "shifted" (see above; not a gap), or empty.
	Gap string `json:"gap,omitempty"`
	// Compared is false where the agent's counts are not whole (no status
	// key, hour before its complete_since): such rows are shown, not judged.
	Compared bool `json:"compared"`
}

// Gap values.
const (
	gapMissing = "missing"
	gapExtra   = "extra"
	gapShifted = "shifted"
)

// auditAgent is what the audit notes about one agent.
type auditAgent struct {
	Agent         string    `json:"agent"`
	CompleteSince time.Time `json:"complete_since"`
	Note          string    `json:"note,omitempty"`
}

// auditTotals sum the compared rows.
type auditTotals struct {
	Read    int64 `json:"read"`
	Acked   int64 `json:"acked"`
	Indexed int64 `json:"indexed"`
	Gaps    int   `json:"gaps"`
	// Uncompared counts documents in rows that were not compared.
	Uncompared int64 `json:"uncompared_indexed"`
	// LostBytes and LostLines sum the losses listed (lines where known).
	LostBytes int64 `json:"lost_bytes"`
	LostLines int64 `json:"lost_lines"`
}

// auditReport is `logctl audit -o json`.
type auditReport struct {
	Since  time.Time    `json:"since"`
	Agents []auditAgent `json:"agents"`
	Rows   []auditRow   `json:"rows"`
	Lost   []auditLoss  `json:"lost"`
	Totals auditTotals  `json:"totals"`
}

// maxAuditSince is the window the agents keep counts for.
const maxAuditSince = 48 * time.Hour

func runAudit(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl audit", "[--agent ID] [--index PATTERN] [--since 24h] [--wait 0s]",
		"Compares, per agent, file and hour of read time, the lines each agent read and Kafka acked\n"+
			"(its status key) with the documents indexed (an aggregation on host.name, log.file.path\n"+
			"and event.created). Exits 1 when acked and indexed differ: missing lines, or extra ones.\n"+
			"--wait polls until they agree or the duration passes (lines still in flight, or indexed\n"+
			"but not yet searchable: Elasticsearch shows new documents after the next refresh, 1s by default).")
	agent := fs.String("agent", "", "only this agent")
	index := fs.String("index", "*", "index pattern(s) logtransfer writes to, comma-separated")
	since := fs.Duration("since", 24*time.Hour, "hours of read time to compare, up to 48h (from the start of the hour)")
	wait := fs.Duration("wait", 0, "poll until no gap is left, at most this long")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *since <= 0 || *since > maxAuditSince {
		return usagef(fs, "--since %v: want up to %v (the agents keep that many hours)", *since, maxAuditSince)
	}
	if *wait < 0 {
		return usagef(fs, "--wait %v: must not be negative", *wait)
	}
	es, err := c.esClient()
	if err != nil {
		return err
	}
	defer es.Stop()
	deadline := time.Now().Add(*wait)
	for {
		now := time.Now()
		from := now.Add(-*since).UTC().Truncate(time.Hour)
		statuses, err := c.agentStatuses(ctx, *agent)
		if err != nil {
			return err
		}
		qctx, cancel := context.WithTimeout(ctx, c.g.timeout)
		indexed, err := queryIndexed(qctx, es, split(*index), *agent, from)
		cancel()
		if err != nil {
			return c.esErr(err)
		}
		rep := buildAudit(from, statuses, indexed)
		if rep.Totals.Gaps == 0 || !time.Now().Before(deadline) {
			return c.writeAudit(rep)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// agentStatuses reads the agents' status keys (only agent's, if set).
func (c *cli) agentStatuses(ctx context.Context, agent string) ([]agentReport, error) {
	var out []agentReport
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Get(ctx, logagent.KeyRoot, clientv3.WithPrefix())
		if err != nil {
			return c.etcdErr(err)
		}
		for _, r := range agentReports(resp.Kvs) {
			if agent == "" || r.Status.Agent == agent {
				out = append(out, r)
			}
		}
		return nil
	})
	for i := range out {
		c.agentLines(ctx, &out[i])
	}
	return out, err
}

func (c *cli) writeAudit(rep auditReport) error {
	if c.asJSON {
		if err := writeJSON(c.stdout, rep); err != nil {
			return err
		}
	} else if err := rep.render(c); err != nil {
		return err
	}
	if rep.Totals.Gaps > 0 {
		return fmt.Errorf("audit: %d row(s) where acked and indexed lines differ", rep.Totals.Gaps)
	}
	return nil
}

func (rep auditReport) render(c *cli) error {
	t := newTable(c.stdout, "AGENT", "FILE", "FILE_ID", "HOUR", "READ", "ACKED", "INDEXED", "GAP")
	for _, r := range rep.Rows {
		gap := strings.ToUpper(r.Gap)
		switch {
		case !r.Compared:
			gap = "not compared"
		case r.Gap == gapShifted:
			gap = "shifted (re-read across the hour)"
		case r.Gap != "":
			gap = fmt.Sprintf("%s %d", gap, abs(r.Indexed-r.Acked))
		}
		t.row(r.Agent, r.Path, orDash(strings.Join(r.FileIDs, ",")), r.Hour.Format(hourLayout),
			r.Read, r.Acked, r.Indexed, gap)
	}
	notes := newTable(c.stdout, "AGENT", "COUNTS WHOLE SINCE", "NOTE")
	for _, a := range rep.Agents {
		since := "-"
		if !a.CompleteSince.IsZero() {
			since = a.CompleteSince.Format(hourLayout)
		}
		if a.Note != "" {
			notes.row(a.Agent, since, a.Note)
		}
	}
	lost := newTable(c.stdout, "AGENT", "LOST FROM FILE", "FILE_ID", "HOUR", "REASON", "BYTES", "LINES")
	for _, l := range rep.Lost {
		lines := "unknown"
		if l.Lines > 0 {
			lines = fmt.Sprint(l.Lines)
		}
		lost.row(l.Agent, l.Path, l.FileID, l.Hour.Format(hourLayout), l.Reason, l.Bytes, lines)
	}
	if err := writeSections(c.stdout, t, notes, lost); err != nil {
		return err
	}
	tt := rep.Totals
	_, err := fmt.Fprintf(c.stdout, "audit: since=%s read=%d acked=%d indexed=%d gaps=%d uncompared_indexed=%d lost_bytes=%d lost_lines=%d\n",
		rep.Since.Format(hourLayout), tt.Read, tt.Acked, tt.Indexed, tt.Gaps, tt.Uncompared, tt.LostBytes, tt.LostLines)
	return err
}

const hourLayout = "2006-01-02T15:04Z07:00"

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
