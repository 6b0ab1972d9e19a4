// Command logagent tails the log files its etcd tasks name and ships every
// line to Kafka. See README.md for the configuration and key layout.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/check"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logagent"
)

var version = "dev"

// checkTimeout bounds each step of -check-deps.
const checkTimeout = 5 * time.Second

func main() {
	ops.Main(ops.Daemon[logagent.Config]{
		Name: "logagent", DefaultConfig: "/etc/logpipe/logagent.ini", Version: version,
		Load:   logagent.LoadConfig,
		Logger: func(c logagent.Config) *slog.Logger { return c.Log.Logger(os.Stderr) },
		Start: func(c logagent.Config, log *slog.Logger) (ops.Runner, error) {
			conf.SetupSarama(log)
			return logagent.New(c, log, ops.NewRegistry(), logagent.WithVersion(version))
		},
		CheckDeps: func(ctx context.Context, c logagent.Config, w io.Writer) error {
			return check.Agent(ctx, c, w, checkTimeout)
		},
	})
}
