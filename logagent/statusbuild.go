package logagent

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/logpipe/logpipe/internal/ops"
)

// statusChange remembers the status content last built, to date its changes.
type statusChange struct {
	mu   sync.Mutex
	last []byte
	at   int64
}

// stamp sets st.UpdatedUnix to when its content (all but UpdatedUnix) last
// changed, so that unchanged content marshals the same and the publisher
// skips the write.
func (c *statusChange) stamp(st *Status, now time.Time) {
	st.UpdatedUnix = 0
	b, _ := json.Marshal(st)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(b, c.last) {
		c.last, c.at = b, now.Unix()
	}
	st.UpdatedUnix = c.at
}

// buildStatus is the status key's content: summaries only (see Status).
func (a *Agent) buildStatus() Status {
	a.statusBuilds.Add(1)
	st := a.statusHead()
	st.InflightB = roundBytes(a.budget.InUse())
	for _, u := range a.tasks.Units() {
		r := u.Unit
		ts := TaskStatus{Name: r.name, Task: r.task, Health: r.Health(), Waiting: int(r.waiting.Load()), Lost: a.pos.lostSummary(r.name)}
		var lag int64
		for _, f := range r.files() {
			ts.OpenFiles++
			lag += f.LagByte
		}
		ts.LagBytes = roundBytes(lag)
		ts.Problems = r.fileProblems()
		if ts.ProblemCount = len(ts.Problems); ts.ProblemCount > maxStatusProblems {
			ts.Problems = ts.Problems[:maxStatusProblems]
		}
		st.Tasks = append(st.Tasks, ts)
	}
	st.Reships = a.reshipSummaries()
	a.changed.stamp(&st, time.Now())
	return st
}

// statusHead is what every status view starts with.
func (a *Agent) statusHead() Status {
	st := Status{Agent: a.cfg.Agent.ID, Version: a.version, HTTP: a.advertised()}
	st.Rev, st.FromCache, st.Rejected = a.applied.State()
	st.KafkaReady = a.producer.isReady()
	return st
}

// filesStatus is /status/files: the status with every file and problem.
func (a *Agent) filesStatus() Status {
	st := a.statusHead()
	st.InflightB = a.budget.InUse()
	st.UpdatedUnix = time.Now().Unix()
	for _, u := range a.tasks.Units() {
		r := u.Unit
		ts := TaskStatus{Name: r.name, Task: r.task, Health: r.Health(), Waiting: int(r.waiting.Load()),
			Files: r.files(), Problems: r.fileProblems(), Lost: a.pos.lostSummary(r.name)}
		ts.OpenFiles, ts.ProblemCount = len(ts.Files), len(ts.Problems)
		for _, f := range ts.Files {
			ts.LagBytes += f.LagByte
		}
		st.Tasks = append(st.Tasks, ts)
	}
	return st
}

// serveStatus adds the bulky status views to the ops server: /status/files
// (every harvested file and problem), /status/lines (the audit ledger,
// linecount.go) and /status/explain (one file, explain.go).
func (a *Agent) serveStatus(s *ops.Server) {
	serve := func(view func() any) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(view())
		}
	}
	s.Handle("/status/files", serve(func() any { return a.filesStatus() }))
	s.Handle("/status/lines", serve(func() any { return a.pos.lineStatus(time.Now()) }))
	s.Handle("/status/explain", a.explainHandler()) // explain.go
	s.Handle("/status/reships", serve(func() any { return a.reshipStatuses() }))
}

// advertised is the ops address others can reach: a wildcard listen
// address is replaced by the host's name.
func (a *Agent) advertised() string {
	if a.ops == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(a.ops.Addr())
	if err != nil {
		return a.ops.Addr()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}
