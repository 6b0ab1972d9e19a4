package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logpipe/logpipe/internal/check"
	"github.com/logpipe/logpipe/logtransfer"
)

// ErrCheckFailed is returned by the checks when a step failed; the steps
// have said why.
var ErrCheckFailed = check.ErrFailed

// CheckTransfer checks what a logtransfer with cfg depends on: its routes
// in etcd, Kafka and the routes' topics, Elasticsearch.
func CheckTransfer(ctx context.Context, cfg logtransfer.Config, w io.Writer, timeout time.Duration) error {
	return check.Plan{Etcd: cfg.Etcd, Kafka: cfg.Kafka, Routes: readRoutes, ES: esSteps(cfg.Elasticsearch), Timeout: timeout}.Run(ctx, w)
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
		fmt.Fprintln(c.stdout, check.StepLine("config "+c.g.configPath(), "failed: "+check.OneLine(re.err.Error())))
		return ErrCheckFailed
	}
	if err != nil {
		return err
	}
	cn := c.conns
	p := check.Plan{Etcd: cn.Etcd, Kafka: cn.Kafka, Tasks: true, Routes: readRoutes, ES: esSteps(cn.ES), Timeout: c.g.timeout}
	switch {
	case cn.Agent != nil:
		fmt.Fprintln(c.stdout, check.StepLine("config "+cn.Path, "ok: logagent configuration, agent "+cn.Agent.Agent.ID))
		p.ES, p.Routes, p.Agent = nil, nil, cn.Agent.Agent.ID
	case cn.Transfer != nil:
		fmt.Fprintln(c.stdout, check.StepLine("config "+cn.Path, "ok: logtransfer configuration"))
		p.Tasks = false
	}
	return p.Run(ctx, c.stdout)
}

// configPath is the --config file named by flag or environment.
func (g *globals) configPath() string {
	if g.config != "" {
		return g.config
	}
	return g.env(EnvConfig)
}
