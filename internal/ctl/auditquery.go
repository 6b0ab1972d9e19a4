package ctl

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/olivere/elastic/v7"
)

// esClient connects with the daemons' [elasticsearch] settings (TLS,
// basic auth) as resolved from --config, LOGPIPE_* and flags; every
// request is bounded by --timeout.
func (c *cli) esClient() (*elastic.Client, error) {
	es := c.conns.ES
	es.Timeout = c.g.timeout
	// The client's own logs would repeat the error returned below.
	client, err := es.Client(slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, refusedError{what: "elasticsearch settings", err: err}
	}
	return client, nil
}

// auditKey is one row's identity.
type auditKey struct {
	agent, path string
	hour        int64 // Unix seconds of the hour's start
}

// maxAuditTerms bounds each terms level. Terms counts are exact only when
// every term is returned, so more is an error, not a silent undercount.
const maxAuditTerms = 10000

// queryIndexed counts documents per host.name, log.file.path and hour of
// event.created from the start of hour from.
func queryIndexed(ctx context.Context, es *elastic.Client, indices []string, agent string, from time.Time) (map[auditKey]int64, error) {
	hours := elastic.NewDateHistogramAggregation().Field("event.created").FixedInterval("1h").MinDocCount(1)
	files := elastic.NewTermsAggregation().Field("log.file.path").Size(maxAuditTerms).SubAggregation("hours", hours)
	agents := elastic.NewTermsAggregation().Field("host.name").Size(maxAuditTerms).SubAggregation("files", files)
	q := elastic.NewBoolQuery().Filter(elastic.NewRangeQuery("event.created").Gte(from.UTC().Format(time.RFC3339)))
	if agent != "" {
		q.Filter(elastic.NewTermQuery("host.name", agent))
	}
	res, err := es.Search(indices...).Query(q).Size(0).Aggregation("agents", agents).Do(ctx)
	if err != nil {
		return nil, err
	}
	out := map[auditKey]int64{}
	ab, ok := res.Aggregations.Terms("agents")
	if !ok {
		return out, nil // no index matched
	}
	if ab.SumOfOtherDocCount > 0 {
		return nil, fmt.Errorf("more than %d agents in the index: narrow with --agent", maxAuditTerms)
	}
	for _, a := range ab.Buckets {
		name := fmt.Sprint(a.Key)
		fb, _ := a.Terms("files")
		if fb == nil {
			continue
		}
		if fb.SumOfOtherDocCount > 0 {
			return nil, fmt.Errorf("more than %d files of agent %s: narrow with --since", maxAuditTerms, name)
		}
		for _, f := range fb.Buckets {
			hb, _ := f.DateHistogram("hours")
			if hb == nil {
				continue
			}
			for _, h := range hb.Buckets {
				out[auditKey{name, fmt.Sprint(f.Key), int64(h.Key) / 1000}] += h.DocCount
			}
		}
	}
	return out, nil
}

// buildAudit joins the agents' counts with the indexed ones from hour from
// on and judges every row.
func buildAudit(from time.Time, statuses []agentReport, indexed map[auditKey]int64) auditReport {
	rep := auditReport{Since: from, Agents: []auditAgent{}, Rows: []auditRow{}, Lost: []auditLoss{}}
	rows := map[auditKey]*auditRow{}
	row := func(k auditKey) *auditRow {
		if r := rows[k]; r != nil {
			return r
		}
		r := &auditRow{Agent: k.agent, Path: k.path, Hour: time.Unix(k.hour, 0).UTC(), FileIDs: []string{}}
		rows[k] = r
		return r
	}
	// whole[agent] is the first hour that agent's counts are whole for;
	// agents absent from it have no counts.
	whole := map[string]int64{}
	for _, s := range statuses {
		a := auditAgent{Agent: s.Status.Agent}
		switch lc := s.Status.Lines; {
		case s.Missing:
			a.Note = "no status key: not running, its lines are not compared"
		case s.Invalid != "":
			a.Note = "unreadable status: " + s.Invalid
		case lc == nil && s.Detail != "":
			a.Note = s.Detail + ": its lines are not compared"
		case lc == nil:
			a.Note = "reports no line counts (an older version)"
		default:
			a.CompleteSince = lc.CompleteSince
			if lc.CompleteSince.After(from) {
				a.Note = "counts whole only since " + lc.CompleteSince.Format(hourLayout)
			}
			whole[a.Agent] = max(from.Unix(), lc.CompleteSince.Unix())
			for _, l := range lc.Lost {
				if !l.Hour.Before(from) {
					rep.Lost = append(rep.Lost, auditLoss{Agent: a.Agent, Task: l.Task, Path: l.Path, FileID: l.FileID,
						Hour: l.Hour, Reason: l.Reason, Bytes: l.Bytes, Lines: l.Lines})
					rep.Totals.LostBytes += l.Bytes
					rep.Totals.LostLines += l.Lines
				}
			}
			for _, f := range lc.Files {
				for _, h := range f.Hours {
					if h.Hour.Before(from) {
						continue
					}
					r := row(auditKey{a.Agent, f.Path, h.Hour.Unix()})
					r.Read += h.Read
					r.Acked += h.Acked
					if !slices.Contains(r.FileIDs, f.FileID) {
						r.FileIDs = append(r.FileIDs, f.FileID)
					}
				}
			}
		}
		rep.Agents = append(rep.Agents, a)
	}
	for k, n := range indexed {
		row(k).Indexed = n
		if !slices.ContainsFunc(rep.Agents, func(a auditAgent) bool { return a.Agent == k.agent }) {
			rep.Agents = append(rep.Agents, auditAgent{Agent: k.agent, Note: "in the index but no status key: its lines are not compared"})
		}
	}
	// Per agent and path, the difference over the compared hours.
	type file struct{ agent, path string }
	diff := map[file]int64{}
	for k, r := range rows {
		slices.Sort(r.FileIDs)
		since, ok := whole[k.agent]
		r.Compared = ok && k.hour >= since
		if r.Compared {
			diff[file{k.agent, k.path}] += r.Indexed - r.Acked
		}
	}
	for k, r := range rows {
		t := &rep.Totals
		if !r.Compared {
			t.Uncompared += r.Indexed
			rep.Rows = append(rep.Rows, *r)
			continue
		}
		t.Read, t.Acked, t.Indexed = t.Read+r.Read, t.Acked+r.Acked, t.Indexed+r.Indexed
		switch d := r.Indexed - r.Acked; {
		case d == 0:
		case diff[file{k.agent, k.path}] == 0:
			r.Gap = gapShifted
		case d < 0:
			r.Gap = gapMissing
		default:
			r.Gap = gapExtra
		}
		if r.Gap == gapMissing || r.Gap == gapExtra {
			t.Gaps++
		}
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(x, y auditRow) int {
		return cmp.Or(cmp.Compare(x.Agent, y.Agent), cmp.Compare(x.Path, y.Path), x.Hour.Compare(y.Hour))
	})
	slices.SortFunc(rep.Agents, func(x, y auditAgent) int { return cmp.Compare(x.Agent, y.Agent) })
	return rep
}
