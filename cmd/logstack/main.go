// Command logstack runs logpipe's whole path on 127.0.0.1 in one process:
// embedded etcd, two Kafka-protocol clusters ("cloud" and "idc"), the
// mirror between them (the local stand-in for MirrorMaker 2), the
// Elasticsearch-API stand-in, a real logagent and logtransfer, and a
// generator of nginx and JSON application lines. `make demo` runs it until
// Ctrl-C; `make demo ARGS='--for 60s'` runs unattended and exits non-zero
// if a line was lost or duplicated. See internal/demo.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/logpipe/logpipe/internal/demo"
	"github.com/logpipe/logpipe/internal/ops"
)

func main() {
	o := demo.DefaultOptions()
	flag.IntVar(&o.Rate, "rate", o.Rate, "lines written per second")
	flag.DurationVar(&o.Roll, "roll", o.Roll, "start a new hourly file this often (1h follows the wall clock)")
	flag.DurationVar(&o.For, "for", o.For, "run unattended this long, then drain, check and exit (0: until Ctrl-C)")
	flag.DurationVar(&o.Drain, "drain", o.Drain, "how long to wait for every written line to be indexed")
	flag.DurationVar(&o.Retain, "retain", o.Retain, "how long both Kafka clusters and the ES stand-in keep what passed through them")
	flag.IntVar(&o.MaxDocs, "max-docs", o.MaxDocs, "documents the ES stand-in keeps at most, whatever the rate")
	flag.StringVar(&o.Dir, "dir", o.Dir, "directory for logs, ini files and data (default: a new temporary one)")
	flag.BoolVar(&o.Keep, "keep", o.Keep, "keep the temporary directory")
	flag.Parse()
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		o.InPlace = true
	}
	if err := o.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "logstack: invalid flags:\n%v\n", err)
		os.Exit(2)
	}
	// Daemon logs go to a file in the demo's directory; this one only says
	// that a second Ctrl-C skipped the drain.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res, err := demo.Run(ops.SignalContext(log), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "logstack: %v\n", err)
		os.Exit(1)
	}
	if !res.OK() {
		os.Exit(1)
	}
}
