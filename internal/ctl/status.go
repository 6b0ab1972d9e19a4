package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// statusReport is `logctl status -o json`.
type statusReport struct {
	// Revision is etcd's revision when the keys were read.
	Revision  int64            `json:"etcd_revision"`
	Agents    []agentReport    `json:"agents"`
	Transfers []transferReport `json:"transfers"`
}

// daemonReport is what logctl concludes about one daemon's status key.
type daemonReport struct {
	Key string `json:"key"`
	// LatestRevision is the newest mod revision of the keys the daemon
	// follows; above the daemon's applied revision, an edit is not applied
	// yet (Pending). A deletion leaves no revision behind, so a pending
	// removal does not show.
	LatestRevision int64 `json:"latest_revision"`
	Pending        bool  `json:"edit_not_applied"`
	// Invalid says why the status value could not be read; Missing that
	// there is no status key (the daemon is not running) though keys name it.
	Invalid string `json:"invalid,omitempty"`
	Missing bool   `json:"missing,omitempty"`
}

type agentReport struct {
	daemonReport
	Status logagent.Status `json:"status"`
	// Detail says why what the agent serves on its HTTP address (its files,
	// its line counts) could not be read.
	Detail string `json:"detail_error,omitempty"`
}

type transferReport struct {
	daemonReport
	Status logtransfer.Status `json:"status"`
}

func runStatus(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl status", "",
		"Shows every agent's ("+logagent.StatusKey("*")+") and transfer instance's\n"+
			"("+logtransfer.StatusKey("*")+") status: tasks, files and byte lag; routes,\n"+
			"partitions, committed offsets and lag; last errors; the etcd keys each refused and why;\n"+
			"and daemons whose applied revision is behind the keys they follow (edit not applied yet).")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var rep statusReport
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Get(ctx, logagent.KeyRoot, clientv3.WithPrefix())
		if err != nil {
			return c.etcdErr(err)
		}
		rep.Revision = resp.Header.Revision
		rep.Agents = agentReports(resp.Kvs)
		resp, err = cli.Get(ctx, logtransfer.KeyRoot, clientv3.WithPrefix(), clientv3.WithRev(rep.Revision))
		if err != nil {
			return c.etcdErr(err)
		}
		rep.Transfers = transferReports(resp.Kvs)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range rep.Agents {
		c.agentFiles(ctx, &rep.Agents[i])
	}
	if c.asJSON {
		rep.Agents, rep.Transfers = nonNil(rep.Agents), nonNil(rep.Transfers)
		return writeJSON(c.stdout, rep)
	}
	return rep.render(c.stdout, time.Now())
}

// agentReports reads the agents' status keys among kvs (everything under
// logagent.KeyRoot) and compares each applied revision with the newest of
// the task keys that agent follows: its own, all agents', collect_config.
func agentReports(kvs []*mvccpb.KeyValue) []agentReport {
	latest := map[string]int64{}
	byAgent := map[string]*agentReport{}
	for _, kv := range kvs {
		key := string(kv.Key)
		agent, name, classic, ok := logagent.ParseKey(key)
		switch {
		case ok && (name != "" || classic):
			latest[agent] = max(latest[agent], kv.ModRevision)
		case key == logagent.StatusKey(agent):
			r := &agentReport{daemonReport: daemonReport{Key: key}}
			if err := json.Unmarshal(kv.Value, &r.Status); err != nil {
				r.Invalid = err.Error()
			}
			r.Status.Agent = agent
			byAgent[agent] = r
		}
	}
	for agent := range latest {
		if _, ok := byAgent[agent]; !ok && agent != logagent.AllAgents {
			byAgent[agent] = &agentReport{daemonReport: daemonReport{Key: logagent.StatusKey(agent), Missing: true},
				Status: logagent.Status{Agent: agent}}
		}
	}
	out := make([]agentReport, 0, len(byAgent))
	for agent, r := range byAgent {
		r.LatestRevision = max(latest[agent], latest[logagent.AllAgents])
		r.Pending = !r.Missing && r.Invalid == "" && r.LatestRevision > r.Status.Rev
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b agentReport) int { return strings.Compare(a.Status.Agent, b.Status.Agent) })
	return out
}

// transferReports reads the instances' status keys among kvs (everything
// under logtransfer.KeyRoot); every instance follows every route.
func transferReports(kvs []*mvccpb.KeyValue) []transferReport {
	var latest int64
	var out []transferReport
	for _, kv := range kvs {
		key := string(kv.Key)
		if strings.HasPrefix(key, logtransfer.RoutePrefix) {
			latest = max(latest, kv.ModRevision)
			continue
		}
		instance, _, _ := strings.Cut(strings.TrimPrefix(key, logtransfer.KeyRoot), "/")
		if key != logtransfer.StatusKey(instance) {
			continue
		}
		r := transferReport{daemonReport: daemonReport{Key: key}}
		if err := json.Unmarshal(kv.Value, &r.Status); err != nil {
			r.Invalid = err.Error()
		}
		r.Status.Instance = instance
		out = append(out, r)
	}
	for i := range out {
		out[i].LatestRevision = latest
		out[i].Pending = out[i].Invalid == "" && latest > out[i].Status.Rev
	}
	slices.SortFunc(out, func(a, b transferReport) int { return strings.Compare(a.Status.Instance, b.Status.Instance) })
	return out
}

// notes are the NOTE column: what needs the operator's attention.
func (d daemonReport) notes(applied int64, fromCache bool, rejected []conf.Rejection, extra ...string) string {
	var n []string
	switch {
	case d.Missing:
		n = append(n, "no status key: not running (or never reached etcd)")
	case d.Invalid != "":
		n = append(n, "unreadable status: "+d.Invalid)
	}
	if d.Pending {
		n = append(n, fmt.Sprintf("edit not applied yet (keys at revision %d, applied %d)", d.LatestRevision, applied))
	}
	if fromCache {
		n = append(n, "running its cached snapshot: etcd unreachable from it")
	}
	if len(rejected) > 0 {
		n = append(n, fmt.Sprintf("%d key(s) rejected", len(rejected)))
	}
	n = append(n, extra...)
	return orDash(strings.Join(n, "; "))
}

// render writes the status for people: one table of agents, one of their
// files, one of transfer instances, one of their partitions, one of the
// keys refused.
func (rep statusReport) render(w io.Writer, now time.Time) error {
	agents := newTable(w, "AGENT", "VERSION", "APPLIED", "KAFKA", "TASKS", "FILES", "LAG", "INFLIGHT", "UPDATED", "NOTE")
	tasks := newTable(w, "AGENT", "TASK", "TOPIC", "STATE", "SINCE", "FILES", "LAG", "REASON")
	files := newTable(w, "AGENT", "TASK", "TOPIC", "FILE", "ACKED", "SIZE", "LAG")
	transfers := newTable(w, "TRANSFER", "VERSION", "APPLIED", "ROUTES", "PARTITIONS", "LAG", "INFLIGHT", "UPDATED", "NOTE")
	parts := newTable(w, "TRANSFER", "ROUTE", "TOPIC", "GROUP", "STATE", "PARTITION", "COMMITTED", "LAG", "INFLIGHT", "LAST ERROR")
	rejected := newTable(w, "REJECTED BY", "KEY", "REASON")
	for _, a := range rep.Agents {
		a.render(agents, tasks, files, rejected, now)
	}
	for _, tr := range rep.Transfers {
		tr.render(transfers, parts, rejected, now)
	}
	if len(rep.Agents) == 0 {
		fmt.Fprintf(w, "no agent status in etcd (%s)\n", logagent.StatusKey("*"))
	} else if err := writeSections(w, agents, tasks, files); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(rep.Transfers) == 0 {
		fmt.Fprintf(w, "no transfer status in etcd (%s)\n", logtransfer.StatusKey("*"))
	} else if err := writeSections(w, transfers, parts); err != nil {
		return err
	}
	if rejected.rows == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return rejected.flush()
}

func (a agentReport) render(agents, tasks, files, rejected *table, now time.Time) {
	st := a.Status
	if a.Missing || a.Invalid != "" {
		agents.row(st.Agent, "-", "-", "-", "-", "-", "-", "-", "-", a.notes(0, false, nil))
		return
	}
	var lag int64
	n := 0
	for _, ts := range st.Tasks {
		// Agents before the status split list their files in the key,
		// without the summary.
		tlag, tn := ts.LagBytes, ts.OpenFiles
		if len(ts.Files) > 0 {
			tlag, tn = 0, len(ts.Files)
		}
		if len(ts.Files) == 0 {
			files.row(st.Agent, ts.Name, ts.Task.Topic, "-", "-", "-", "-")
		}
		for _, f := range ts.Files {
			tlag += f.LagByte
			files.row(st.Agent, ts.Name, ts.Task.Topic, f.Path, f.Acked, f.Size, bytesIEC(f.LagByte))
		}
		lag, n = lag+tlag, n+tn
		state, since := string(ts.State), "-"
		if state == "" {
			state = "-"
		} else if !ts.Since.IsZero() {
			since = age(now, ts.Since.Unix())
		}
		tasks.row(st.Agent, ts.Name, ts.Task.Topic, state, since, tn, bytesIEC(tlag), orDash(ts.Reason))
	}
	kafka := "ready"
	if !st.KafkaReady {
		kafka = "NOT READY"
	}
	var extra []string
	if a.Detail != "" {
		extra = append(extra, a.Detail)
	}
	for _, ts := range st.Tasks {
		if l := ts.Lost; l != nil {
			extra = append(extra, fmt.Sprintf("task %s lost %s at the source (%d file(s), last %s %s); see logctl audit",
				ts.Name, bytesIEC(l.Bytes), l.Files, l.LastReason, l.LastPath))
		}
	}
	agents.row(st.Agent, orDash(st.Version), st.Rev, kafka, len(st.Tasks), n, bytesIEC(lag), bytesIEC(st.InflightB),
		age(now, st.UpdatedUnix), a.notes(st.Rev, st.FromCache, st.Rejected, extra...))
	for _, r := range st.Rejected {
		rejected.row(st.Agent, r.Key, r.Reason)
	}
}

func (tr transferReport) render(transfers, parts, rejected *table, now time.Time) {
	st := tr.Status
	if tr.Invalid != "" {
		transfers.row(st.Instance, "-", "-", "-", "-", "-", "-", "-", tr.notes(0, false, nil))
		return
	}
	var lag int64
	n := 0
	for _, rs := range st.Routes {
		state, lastErr := routeState(rs)
		if len(rs.Partitions) == 0 {
			parts.row(st.Instance, rs.Name, rs.Route.Topic, rs.Group, state, "-", "-", "-", "-", lastErr)
		}
		for _, p := range rs.Partitions {
			lag += p.Lag
			n++
			committed := "-"
			if p.Committed >= 0 {
				committed = fmt.Sprint(p.Committed)
			}
			parts.row(st.Instance, rs.Name, rs.Route.Topic, rs.Group, state, p.Partition, committed, p.Lag, p.Inflight, lastErr)
		}
	}
	var extra []string
	if st.LastError != "" {
		extra = append(extra, "last error: "+st.LastError)
	}
	for _, rs := range st.Routes {
		if r := rs.RetentionRisk; r != nil {
			extra = append(extra, fmt.Sprintf("route %s: oldest unindexed record at %.0f%% of its topic's retention.ms (%s)",
				rs.Name, 100*r.Worst, time.Duration(r.RetentionMs)*time.Millisecond))
		}
	}
	transfers.row(st.Instance, orDash(st.Version), st.Rev, len(st.Routes), n, lag, bytesIEC(st.InflightB),
		age(now, st.UpdatedUnix), tr.notes(st.Rev, st.FromCache, st.Rejected, extra...))
	for _, r := range st.Rejected {
		rejected.row(st.Instance, r.Key, r.Reason)
	}
}

// routeState is a route's STATE column ("failing since 09:28:55") and its
// LAST ERROR: the reason of its state while degraded.
func routeState(rs logtransfer.RouteStatus) (state, lastErr string) {
	switch {
	case rs.State == "":
		return "-", orDash(rs.LastError) // a daemon older than route states
	case rs.Degraded():
		return string(rs.State) + " since " + rs.Since.Local().Format("15:04:05"), rs.Reason
	}
	return string(rs.State), orDash(rs.LastError)
}
