// Package check tries every dependency a daemon's configuration names, with
// its TLS and credentials, as the daemon would use it (`logctl check`,
// `logagent -check-deps`, `logtransfer -check-deps`), and writes one line
// per step: "ok: detail" or "failed: reason". Each step is bounded by the
// timeout, so a check ends in seconds; it changes nothing anywhere.
//
//	etcd           read the keys the daemon follows (tasks, routes)
//	kafka          connect; per topic of those tasks/routes: exists (or the
//	               broker may create it), produce/consume allowed where the
//	               broker reports authorized operations; per route, its
//	               consumer group may be joined
//	elasticsearch  version, cluster health, privileges, index templates
//
// NOTE: the package knows the agent's keys but not the transfer's or
// Elasticsearch: those steps are hooks (Plan.Routes, Plan.ES) that
// internal/ctl fills. logagent links this package for -check-deps; when it
// linked internal/ctl (logctl, hence logtransfer), its binary was 0.6 MB
// larger and its RSS ~1 MB higher on every app server (idle: 20.5 → 19.6 MB).
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrFailed is returned by a check when a step failed; the steps have said
// why.
var ErrFailed = errors.New("check failed")

// Plan is what to check: the sections, and which keys the daemon follows.
type Plan struct {
	Etcd  conf.Etcd
	Kafka conf.Kafka
	// Agent is the agent whose tasks to read; "" with Tasks set reads all.
	Agent string
	Tasks bool
	// Routes, if set, reads the transfer's routes from etcd into n and
	// returns its part of the etcd step's summary.
	Routes func(ctx context.Context, cli *clientv3.Client, kafka conf.Kafka, n *Needs) (string, error)
	// ES, if set, runs the Elasticsearch steps.
	ES      func(step Step, n Needs, timeout time.Duration)
	Timeout time.Duration
}

// Agent checks what a logagent with cfg depends on: its tasks in etcd,
// Kafka and the tasks' topics. It returns ErrFailed when a step failed.
func Agent(ctx context.Context, cfg logagent.Config, w io.Writer, timeout time.Duration) error {
	return Plan{Etcd: cfg.Etcd, Kafka: cfg.Kafka, Agent: cfg.Agent.ID, Tasks: true, Timeout: timeout}.Run(ctx, w)
}

// Needs is what the keys read from etcd ask of Kafka and Elasticsearch.
type Needs struct {
	// Produce and Consume are the topics of tasks and of routes.
	Produce, Consume []string
	// Indices are the routes' index names as patterns (mglogs-*).
	Indices []string
	// Groups are the routes' consumer groups.
	Groups []string
}

// Step runs one named step; it reports whether the step succeeded.
type Step func(name string, fn func(ctx context.Context) (string, error)) bool

// StepLine formats one step and its result.
func StepLine(step, result string) string { return fmt.Sprintf("%-44s %s", step, result) }

// Run runs the steps in order, writing each line as it ends. A step that
// cannot run because an earlier one failed says so.
func (p Plan) Run(ctx context.Context, w io.Writer) error {
	failed := false
	step := func(name string, fn func(ctx context.Context) (string, error)) bool {
		sctx, cancel := context.WithTimeout(ctx, p.Timeout)
		defer cancel()
		detail, err := fn(sctx)
		if err != nil {
			failed = true
			fmt.Fprintln(w, StepLine(name, "failed: "+OneLine(err.Error())))
			return false
		}
		fmt.Fprintln(w, StepLine(name, "ok: "+detail))
		return true
	}
	var need Needs
	etcdOK := step("etcd "+strings.Join(p.Etcd.Endpoints, ","), func(ctx context.Context) (summary string, err error) {
		need, summary, err = p.readKeys(ctx)
		return summary, err
	})
	p.checkKafka(step, need, etcdOK)
	if p.ES != nil {
		p.ES(step, need, p.Timeout)
	}
	if failed {
		return ErrFailed
	}
	return nil
}

// OneLine keeps a result on its line.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Bounded runs fn and gives up when ctx ends. sarama's calls take no
// context; their own timeouts are set from the check's timeout too, so fn
// ends soon after (closing what it opened) even when abandoned.
func Bounded[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
