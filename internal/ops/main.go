package ops

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Runner is a daemon: Run blocks until ctx is done and it has stopped.
type Runner interface {
	Run(ctx context.Context) error
}

// Daemon describes one daemon's command line for Main.
type Daemon[C any] struct {
	Name          string // logagent, logtransfer
	DefaultConfig string // path of the ini file when -config is not given
	Version       string
	// Load reads and validates the ini file.
	Load func(path string) (C, error)
	// Logger builds the process logger from the configuration.
	Logger func(C) *slog.Logger
	// Start builds the daemon; it gets the logger and a fresh registry.
	Start func(C, *slog.Logger) (Runner, error)
	// CheckDeps tries the services the configuration names (-check-deps),
	// writing one line per step to w; an error means a step failed.
	CheckDeps func(ctx context.Context, c C, w io.Writer) error
}

// Main is the whole `main` of a daemon: flags -config, -check,
// -check-deps, -version;
// an invalid configuration exits 2 with every problem listed; the first
// SIGINT/SIGTERM stops the daemon gracefully, a second one exits at once
// (SignalContext). Only wiring lives here: each daemon's behaviour is in
// its package.
func Main[C any](d Daemon[C]) {
	cfgPath := flag.String("config", d.DefaultConfig, "ini configuration file")
	check := flag.Bool("check", false, "validate the configuration and exit")
	checkDeps := flag.Bool("check-deps", false,
		"validate the configuration, then try each service it names with its TLS and credentials; exit 1 if one fails")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(d.Version)
		return
	}
	cfg, err := d.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: invalid configuration:\n%v\n", d.Name, err)
		os.Exit(2)
	}
	if *check || *checkDeps {
		fmt.Println("configuration ok")
	}
	if *checkDeps && d.CheckDeps != nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := d.CheckDeps(ctx, cfg, os.Stdout)
		stop()
		if err != nil {
			os.Exit(1)
		}
	}
	if *check || *checkDeps {
		return
	}
	log := d.Logger(cfg).With("daemon", d.Name)
	ctx := SignalContext(log)
	r, err := d.Start(cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		os.Exit(1)
	}
	go releaseStartupPages(ctx, r, log)
	if err := r.Run(ctx); err != nil {
		log.Error("stopped with error", "err", err)
		os.Exit(1)
	}
}
