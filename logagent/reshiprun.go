package logagent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
)

// Reship states, in ReshipStatus.
const (
	ReshipRunning = "running"
	ReshipDone    = "done"    // every line of the range acked
	ReshipFailed  = "failed"  // stopped before every line was acked
	ReshipRefused = "refused" // not started: see the reason
)

// ReshipStatus is one reship's progress and result. The status key carries
// the summary (ReshipSummary); /status/reships all of it.
type ReshipStatus struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	State string `json:"state"`
	// Reason says why it was refused or failed, or, while it runs, the
	// Kafka trouble its records meet.
	Reason string `json:"reason,omitempty"`
	FileID string `json:"file_id,omitempty"`
	Task   string `json:"task,omitempty"`
	Topic  string `json:"topic,omitempty"`
	// From and To are the range sent, [From, To): From moved to a line
	// start, To capped at the file's saved position.
	From int64 `json:"from_offset"`
	To   int64 `json:"to_offset"`
	// AckedOffset is where every line before is acked.
	AckedOffset int64 `json:"acked_offset"`
	Sent        int64 `json:"lines_sent"`
	Acked       int64 `json:"lines_acked"`
	// TSAnchored lines carry their time anchor's lp.ts (the original),
	// TSHourly the start of the hour the audit ledger counted them in,
	// TSEstimated the reship's start (reshipstamp.go).
	TSAnchored  int64     `json:"ts_from_anchors"`
	TSHourly    int64     `json:"ts_from_audit_hours"`
	TSEstimated int64     `json:"ts_estimated"`
	Started     time.Time `json:"started"`
	Ended       time.Time `json:"ended,omitzero"`
}

// ReshipSummary is a reship in the status key: no per-line counters move it
// while it runs, so it changes the key only when its state does.
type ReshipSummary struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Sent   int64  `json:"lines_sent,omitempty"`
	Acked  int64  `json:"lines_acked,omitempty"`
}

// reshipRunner runs one reship: a conf.Unit with its own share of the read
// slots and in-flight bytes (share.go), like a task, so it cannot starve
// the live tasks and a stuck one holds only its share.
//
// Contract: Run sends the range once and returns when every line is acked
// (done), when stopped (any Stop: a removed reship does not finish), or when
// ctx ends; it returns only once what it sent is acked or ctx ended. A
// finished unit stays, with its result, until its key is removed.
type reshipRunner struct {
	a    *Agent
	name string
	spec reshipSpec
	log  *slog.Logger
	cond *conf.Condition

	stopCh chan struct{}
	once   sync.Once

	mu sync.Mutex
	st ReshipStatus
	tr *flow.Tracker
}

func (a *Agent) newReship(name string, spec reshipSpec) *reshipRunner {
	log := a.log.With("component", "reship", "reship", name)
	return &reshipRunner{a: a, name: name, spec: spec, log: log, cond: conf.NewCondition(log),
		stopCh: make(chan struct{}),
		st:     ReshipStatus{Name: name, Path: spec.Path, State: ReshipRunning, From: spec.From, To: spec.To}}
}

// Stop implements conf.Unit.
func (r *reshipRunner) Stop(bool) { r.once.Do(func() { close(r.stopCh) }) }

// Health implements conf.Unit.
func (r *reshipRunner) Health() conf.Health { return r.cond.Health() }

// Run implements conf.Unit.
func (r *reshipRunner) Run(ctx context.Context) {
	if closed(r.stopCh) {
		return
	}
	r.mu.Lock()
	r.st.Started = time.Now()
	r.mu.Unlock()
	if r.spec.Invalid != "" {
		r.finish(ReshipRefused, r.spec.Invalid)
		return
	}
	if st, ok := r.a.reshipsDone.get(r.name, r.spec.Reship); ok {
		r.mu.Lock()
		r.st = st
		r.st.Reason = "done before the agent restarted: not run again (reship rm, then add, runs it again)"
		r.mu.Unlock()
		r.a.pokeStatus()
		return
	}
	p, err := r.a.planReship(r.spec.Reship)
	if err != nil {
		r.finish(ReshipRefused, err.Error())
		return
	}
	defer p.f.Close()
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-r.stopCh:
			cancel()
		case <-sendCtx.Done():
		}
	}()
	share := r.a.shares.join()
	defer r.a.shares.leave(share)
	stamp := newReshipStamp(p.anchors, p.hours, time.Now())
	before, err := r.count(sendCtx, p, share, stamp)
	switch {
	case err != nil && sendCtx.Err() != nil:
		r.finish(ReshipFailed, "stopped before the range was sent")
		return
	case err != nil:
		r.finish(ReshipRefused, err.Error())
		return
	}
	tr := flow.NewTracker(p.from)
	r.mu.Lock()
	r.st.FileID, r.st.Task, r.st.Topic, r.st.From, r.st.To, r.st.AckedOffset = p.fileID, p.task, p.topic, p.from, p.to, p.from
	r.tr = tr
	r.mu.Unlock()
	r.log.Info("reship started", "path", r.spec.Path, "file_id", p.fileID, "from", p.from, "to", p.to, "topic", p.topic)
	r.a.pokeStatus()

	k := r.a.cfg.Kafka
	link := &taskLink{share: share, health: &taskHealth{cond: r.cond, quiet: slowRetry(k) + k.RetryBackoffMax}}
	watchDone := make(chan struct{})
	go watchTopic(sendCtx, r.a.producer, p.topic, link.health, watchDone)
	defer close(watchDone)
	tm := r.a.metrics.forTask("reship/" + r.name)
	defer r.a.metrics.forgetTask("reship/" + r.name)
	sendErr := r.send(sendCtx, p, tr, link, tm, stamp, before)
	waitTracker(ctx, tr)
	r.mu.Lock()
	r.st.TSAnchored, r.st.TSHourly, r.st.TSEstimated = stamp.anchored, stamp.hourly, stamp.estimated
	r.mu.Unlock()
	_, inflight := tr.Position()
	switch {
	case sendErr == nil && inflight == 0:
		r.finish(ReshipDone, "")
		if err := r.a.reshipsDone.put(r.name, r.spec.Reship, r.status()); err != nil {
			r.log.Error("recording a finished reship", "err", err) // it runs again after a restart
		}
	case sendErr != nil && closed(r.stopCh):
		r.finish(ReshipFailed, "stopped before the range was sent")
	case sendErr != nil:
		r.finish(ReshipFailed, sendErr.Error())
	default:
		r.finish(ReshipFailed, "stopped before every line was acked")
	}
}

// finish records the reship's result and logs it.
func (r *reshipRunner) finish(state, reason string) {
	r.mu.Lock()
	r.st.State, r.st.Reason, r.st.Ended = state, reason, time.Now()
	st := r.statusLocked()
	r.mu.Unlock()
	if state == ReshipDone {
		r.log.Info("reship done", "lines_sent", st.Sent, "lines_acked", st.Acked,
			"ts_from_anchors", st.TSAnchored, "ts_from_audit_hours", st.TSHourly, "ts_estimated", st.TSEstimated)
	} else {
		r.log.Error("reship not done", "state", state, "reason", reason, "lines_sent", st.Sent, "lines_acked", st.Acked)
	}
	r.a.pokeStatus()
}

// status is the reship's progress now.
func (r *reshipRunner) status() ReshipStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statusLocked()
}

func (r *reshipRunner) statusLocked() ReshipStatus {
	st := r.st
	if h := r.cond.Health(); st.State == ReshipRunning && h.Degraded() {
		st.Reason = string(h.State) + ": " + h.Reason // Kafka trouble of its records, as for a task
	}
	if r.tr != nil {
		pos, passed, _ := r.tr.Progress()
		st.AckedOffset, st.Acked = pos, passed
	}
	return st
}
