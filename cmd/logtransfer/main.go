// Command logtransfer consumes the Kafka topics its etcd routes name and
// bulk-indexes every record into Elasticsearch; `logtransfer replay`
// re-indexes a time window. See README.md for the configuration and keys.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/ctl"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logtransfer"
)

var version = "dev"

// checkTimeout bounds each step of -check-deps.
const checkTimeout = 5 * time.Second

const defaultConfig = "/etc/logpipe/logtransfer.ini"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "replay" {
		os.Exit(replay(os.Args[2:]))
	}
	ops.Main(ops.Daemon[logtransfer.Config]{
		Name: "logtransfer", DefaultConfig: defaultConfig, Version: version,
		Load:   logtransfer.LoadConfig,
		Logger: func(c logtransfer.Config) *slog.Logger { return c.Log.Logger(os.Stderr) },
		Start: func(c logtransfer.Config, log *slog.Logger) (ops.Runner, error) {
			conf.SetupSarama(log)
			return logtransfer.New(c, log, ops.NewRegistry(), logtransfer.WithVersion(version))
		},
		CheckDeps: func(ctx context.Context, c logtransfer.Config, w io.Writer) error {
			return ctl.CheckTransfer(ctx, c, w, checkTimeout)
		},
	})
}

// replay runs `logtransfer replay` and returns the exit code.
func replay(args []string) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	cfgPath := fs.String("config", defaultConfig, "ini configuration file")
	route := fs.String("route", "", "route name in etcd")
	routeJSON := fs.String("route-json", "", "route as JSON, instead of reading etcd")
	from := fs.String("from", "", "start of the window (RFC 3339)")
	to := fs.String("to", "", "end of the window (RFC 3339)")
	brokers := fs.String("brokers", "", "comma-separated brokers overriding [kafka] brokers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := logtransfer.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "logtransfer: invalid configuration:\n%v\n", err)
		return 2
	}
	opts := logtransfer.ReplayOptions{Route: *route, RouteJSON: *routeJSON, Progress: os.Stderr}
	if opts.From, err = time.Parse(time.RFC3339, *from); err != nil {
		fmt.Fprintf(os.Stderr, "replay: -from: %v\n", err)
		return 2
	}
	if opts.To, err = time.Parse(time.RFC3339, *to); err != nil {
		fmt.Fprintf(os.Stderr, "replay: -to: %v\n", err)
		return 2
	}
	if *brokers != "" {
		opts.Brokers = strings.Split(*brokers, ",")
	}
	log := cfg.Log.Logger(os.Stderr).With("daemon", "logtransfer", "mode", "replay")
	res, err := logtransfer.Replay(ops.SignalContext(log), cfg, opts, log)
	fmt.Println(res)
	if err != nil {
		fmt.Fprintf(os.Stderr, "replay: %v\n", err)
		return 1
	}
	return 0
}
