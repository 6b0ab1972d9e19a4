package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// A check (`logctl check`, `logagent -check-deps`, `logtransfer
// -check-deps`) tries every dependency a configuration names, with its TLS
// and credentials, as the daemon would use it, and writes one line per
// step: "ok: detail" or "failed: reason". Each step is bounded by the
// timeout, so a check ends in seconds; it changes nothing anywhere.
//
//	etcd           read the keys the daemon follows (tasks, routes)
//	kafka          connect; per topic of those tasks/routes: exists (or the
//	               broker may create it), produce/consume allowed where the
//	               broker reports authorized operations; per route, its
//	               consumer group may be joined
//	elasticsearch  version, cluster health, privileges, index templates

// ErrCheckFailed is returned by the checks when a step failed; the steps
// have said why.
var ErrCheckFailed = errors.New("check failed")

// checkPlan is what to check: the sections, and which keys the daemon
// follows.
type checkPlan struct {
	etcd  conf.Etcd
	kafka conf.Kafka
	es    *conf.Elasticsearch // nil: no Elasticsearch (an agent)
	// agent is the agent whose tasks to read; "" with tasks set reads all.
	agent         string
	tasks, routes bool
	timeout       time.Duration
}

// CheckAgent checks what a logagent with cfg depends on: its tasks in
// etcd, Kafka and the tasks' topics. It returns ErrCheckFailed when a step
// failed.
func CheckAgent(ctx context.Context, cfg logagent.Config, w io.Writer, timeout time.Duration) error {
	return checkPlan{etcd: cfg.Etcd, kafka: cfg.Kafka, agent: cfg.Agent.ID, tasks: true, timeout: timeout}.run(ctx, w)
}

// CheckTransfer checks what a logtransfer with cfg depends on: its routes
// in etcd, Kafka and the routes' topics, Elasticsearch.
func CheckTransfer(ctx context.Context, cfg logtransfer.Config, w io.Writer, timeout time.Duration) error {
	es := cfg.Elasticsearch
	return checkPlan{etcd: cfg.Etcd, kafka: cfg.Kafka, es: &es, routes: true, timeout: timeout}.run(ctx, w)
}

func runCheck(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl check", "[--config /etc/logpipe/logagent.ini]",
		"Loads and validates the configuration, then tries each dependency with its TLS and\n"+
			"credentials: etcd (reads the tasks and routes), Kafka (connects; each topic of those exists\n"+
			"or may be created, and the client may write/read it where the broker tells), and\n"+
			"Elasticsearch (version, cluster health, privileges, index templates). One line per step,\n"+
			"ok or failed with the reason; exit 1 when any failed. With a logagent ini it checks what\n"+
			"that agent uses (no Elasticsearch), with a logtransfer ini what the transfer uses; without,\n"+
			"everything --etcd, --brokers and --es point at. logagent -check-deps and logtransfer\n"+
			"-check-deps run the same steps. It writes nothing anywhere.")
	_, err := c.parse(fs, args)
	var re refusedError
	if errors.As(err, &re) && c.conns == nil {
		// The configuration itself is the first step.
		fmt.Fprintln(c.stdout, stepLine("config "+c.g.configPath(), "failed: "+oneLine(re.err.Error())))
		return ErrCheckFailed
	}
	if err != nil {
		return err
	}
	cn := c.conns
	p := checkPlan{etcd: cn.Etcd, kafka: cn.Kafka, es: &cn.ES, tasks: true, routes: true, timeout: c.g.timeout}
	switch {
	case cn.Agent != nil:
		fmt.Fprintln(c.stdout, stepLine("config "+cn.Path, "ok: logagent configuration, agent "+cn.Agent.Agent.ID))
		p.es, p.routes, p.agent = nil, false, cn.Agent.Agent.ID
	case cn.Transfer != nil:
		fmt.Fprintln(c.stdout, stepLine("config "+cn.Path, "ok: logtransfer configuration"))
		p.tasks = false
	}
	return p.run(ctx, c.stdout)
}

// configPath is the --config file named by flag or environment.
func (g *globals) configPath() string {
	if g.config != "" {
		return g.config
	}
	return g.env(EnvConfig)
}

// stepLine formats one step and its result.
func stepLine(step, result string) string { return fmt.Sprintf("%-44s %s", step, result) }

// run runs the steps in order, writing each line as it ends. A step that
// cannot run because an earlier one failed says so.
func (p checkPlan) run(ctx context.Context, w io.Writer) error {
	failed := false
	step := func(name string, fn func(ctx context.Context) (string, error)) bool {
		sctx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		detail, err := fn(sctx)
		if err != nil {
			failed = true
			fmt.Fprintln(w, stepLine(name, "failed: "+oneLine(err.Error())))
			return false
		}
		fmt.Fprintln(w, stepLine(name, "ok: "+detail))
		return true
	}
	var need needs
	etcdOK := step("etcd "+joinComma(p.etcd.Endpoints), func(ctx context.Context) (string, error) {
		var err error
		need, err = p.readKeys(ctx)
		return need.summary, err
	})
	p.checkKafka(step, need, etcdOK)
	if p.es != nil {
		p.checkES(step, need)
	}
	if failed {
		return ErrCheckFailed
	}
	return nil
}

// stepFunc runs one named step; it reports whether the step succeeded.
type stepFunc func(name string, fn func(ctx context.Context) (string, error)) bool
