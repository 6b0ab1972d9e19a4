package ctl

import (
	"fmt"
	"io"
	"time"
)

// topView turns successive snapshots into rates and draws a frame.
type topView struct {
	snap  topSnapshot
	rates map[string]*rate
}

// rate is a counter's per-second change between the two latest versions
// of the status key that carries it.
type rate struct {
	at     int64 // the status key's updated_unix of value
	value  int64
	perSec float64
	known  bool
}

func newTopView() *topView { return &topView{rates: map[string]*rate{}} }

// observe records value of counter key as published at updated, and
// returns its rate ("-" until two versions were seen). A counter that went
// back (a file replaced, a partition reassigned) starts over.
func (v *topView) observe(seen map[string]bool, key string, updated, value int64) {
	seen[key] = true
	r := v.rates[key]
	switch {
	case r == nil || value < r.value:
		v.rates[key] = &rate{at: updated, value: value}
	case updated > r.at:
		r.perSec, r.known = float64(value-r.value)/float64(updated-r.at), true
		r.at, r.value = updated, value
	}
}

// perSec formats key's rate.
func (v *topView) perSec(key string) string {
	if r := v.rates[key]; r != nil && r.known {
		return fmt.Sprintf("%.1f", r.perSec)
	}
	return "-"
}

// bytesPerSec formats key's rate of bytes: 41.8 KiB.
func (v *topView) bytesPerSec(key string) string {
	if r := v.rates[key]; r != nil && r.known {
		return bytesIEC(int64(r.perSec))
	}
	return "-"
}

func fileKey(kind, agent, fileID string) string { return kind + "/" + agent + "/" + fileID }

func partKey(instance, route string, p int32) string {
	return fmt.Sprintf("p/%s/%s/%d", instance, route, p)
}

// update takes a new snapshot: counters move, rates of what is gone are
// dropped, so the view stays as big as what the daemons report.
func (v *topView) update(snap topSnapshot) {
	v.snap = snap
	seen := map[string]bool{}
	for _, a := range snap.agents {
		lines := map[string]int64{}
		if a.Lines != nil {
			for _, f := range a.Lines.Files {
				for _, h := range f.Hours {
					lines[f.FileID] += h.Acked
				}
			}
		}
		for _, ts := range a.Tasks {
			for _, f := range ts.Files {
				v.observe(seen, fileKey("b", a.Agent, f.FileID), a.UpdatedUnix, f.Acked)
				if n, ok := lines[f.FileID]; ok {
					v.observe(seen, fileKey("l", a.Agent, f.FileID), a.UpdatedUnix, n)
				}
			}
		}
	}
	for _, tr := range snap.transfers {
		for _, rs := range tr.Routes {
			for _, p := range rs.Partitions {
				if p.Committed >= 0 {
					v.observe(seen, partKey(tr.Instance, rs.Name, p.Partition), tr.UpdatedUnix, p.Committed)
				}
			}
		}
	}
	for k := range v.rates {
		if !seen[k] {
			delete(v.rates, k)
		}
	}
}

// render draws the current snapshot: a header, agents' files, transfers'
// partitions.
func (v *topView) render(w io.Writer, now time.Time, etcd string) error {
	fmt.Fprintf(w, "logctl top  %s  etcd %s  (%d agent(s), %d transfer(s); Ctrl-C quits)\n\n",
		now.UTC().Format("15:04:05 MST"), etcd, len(v.snap.agents), len(v.snap.transfers))
	files := newTable(w, "AGENT", "TASK", "TOPIC", "STATE", "FILE", "LINES/S", "BYTES/S", "LAG", "UPDATED", "ERROR")
	for _, a := range v.snap.agents {
		v.agentRows(files, a, now)
	}
	parts := newTable(w, "TRANSFER", "ROUTE", "TOPIC", "STATE", "PARTITION", "DOCS/S", "LAG", "INFLIGHT", "UPDATED", "ERROR")
	for _, tr := range v.snap.transfers {
		v.transferRows(parts, tr, now)
	}
	if files.rows == 0 {
		files.row("(no agent status key)")
	}
	if parts.rows == 0 {
		parts.row("(no transfer status key)")
	}
	if err := files.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return parts.flush()
}

func (v *topView) agentRows(t *table, a topAgent, now time.Time) {
	updated := age(now, a.UpdatedUnix)
	if a.bad != "" {
		t.row(a.Agent, "-", "-", "-", "-", "-", "-", "-", updated, "unreadable status: "+a.bad)
		return
	}
	agentErr := ""
	if !a.KafkaReady {
		agentErr = "kafka not ready"
	}
	if len(a.Tasks) == 0 {
		t.row(a.Agent, "-", "-", "-", "-", "-", "-", "-", updated, orDash(agentErr))
	}
	for i, ts := range a.Tasks {
		u := stateAt(a.states, i)
		msg := u.err()
		if msg == "" && len(ts.Problems) > 0 {
			msg = fmt.Sprintf("%s: %s", ts.Problems[0].Path, ts.Problems[0].Error)
			if n := len(ts.Problems); n > 1 {
				msg += fmt.Sprintf(" (+%d more)", n-1)
			}
		}
		if msg == "" {
			msg = agentErr
		}
		state := u.describe(now)
		if len(ts.Files) == 0 {
			// An agent that keeps its files off the key still sums them.
			files, lag := "-", "-"
			if u.OpenFiles != nil {
				files = fmt.Sprintf("(%d open)", *u.OpenFiles)
			}
			if u.LagBytes != nil {
				lag = bytesIEC(*u.LagBytes)
			}
			t.row(a.Agent, ts.Name, ts.Task.Topic, state, files, "-", "-", lag, updated, orDash(msg))
		}
		for _, f := range ts.Files {
			t.row(a.Agent, ts.Name, ts.Task.Topic, state, f.Path, v.perSec(fileKey("l", a.Agent, f.FileID)),
				v.bytesPerSec(fileKey("b", a.Agent, f.FileID)), bytesIEC(f.LagByte), updated, orDash(msg))
		}
	}
}

func (v *topView) transferRows(t *table, tr topTransfer, now time.Time) {
	updated := age(now, tr.UpdatedUnix)
	if tr.bad != "" {
		t.row(tr.Instance, "-", "-", "-", "-", "-", "-", "-", updated, "unreadable status: "+tr.bad)
		return
	}
	if len(tr.Routes) == 0 {
		t.row(tr.Instance, "-", "-", "-", "-", "-", "-", "-", updated, orDash(tr.LastError))
	}
	for i, rs := range tr.Routes {
		u := stateAt(tr.states, i)
		msg := u.err()
		if msg == "" {
			msg = rs.LastError
		}
		state := u.describe(now)
		if len(rs.Partitions) == 0 {
			t.row(tr.Instance, rs.Name, rs.Route.Topic, state, "-", "-", "-", "-", updated, orDash(msg))
		}
		for _, p := range rs.Partitions {
			t.row(tr.Instance, rs.Name, rs.Route.Topic, state, p.Partition, v.perSec(partKey(tr.Instance, rs.Name, p.Partition)),
				p.Lag, p.Inflight, updated, orDash(msg))
		}
	}
}
