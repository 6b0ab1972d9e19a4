// Command logctl is the operator CLI of logpipe: tasks and routes in etcd,
// the daemons' status, consumer-group lag, replay and search. See README.md
// ("logctl") and `logctl -h`.
package main

import (
	"log/slog"
	"os"

	"github.com/logpipe/logpipe/internal/ctl"
	"github.com/logpipe/logpipe/internal/ops"
)

func main() {
	ctx := ops.SignalContext(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	os.Exit(ctl.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}
