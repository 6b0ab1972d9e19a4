// Command bench is `make bench`: it builds logagent and logtransfer, runs
// them as separate processes against a Kafka-protocol broker process and an
// Elasticsearch bulk sink process, and prints each figure beside its
// target, then one "bench: NAME=VALUE" line per figure. See internal/bench.
//
//	go run ./internal/cmd/bench [-duration 60s] [-scenarios throughput,follow]
//
// BENCH_SHORT=1 shortens the timed phases to 10 s.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/logpipe/logpipe/internal/bench"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

func main() {
	short := os.Getenv("BENCH_SHORT") == "1"
	dur, e2e := 60*time.Second, 30*time.Second
	if short {
		dur, e2e = 10*time.Second, 10*time.Second
	}
	opts := bench.Options{TaskKey: logagent.TaskKey, RouteKey: logtransfer.RouteKey, StatusKey: logagent.StatusKey, Progress: os.Stderr, Out: os.Stdout}
	flag.DurationVar(&opts.Duration, "duration", dur, "length of the follow and broker-down phases (BENCH_SHORT=1: 10s)")
	flag.DurationVar(&opts.E2EDuration, "e2e-duration", e2e, "length of the end-to-end latency measurement")
	flag.IntVar(&opts.Lines, "lines", 2_000_000, "lines in the throughput scenario's file")
	flag.IntVar(&opts.Docs, "docs", 1_000_000, "records the transfer scenario indexes")
	scen := flag.String("scenarios", "", "comma-separated subset of: "+strings.Join(bench.Scenarios(), ", "))
	flag.BoolVar(&opts.Keep, "keep", false, "keep the work directory (data and daemon logs)")
	flag.StringVar(&opts.Compression, "compression", "", "agent [kafka] compression to compare codecs (default: the agent's, none)")
	flag.StringVar(&opts.Profile, "profile", "", "write perf profiles of logagent (throughput, follow) and logtransfer (transfer) into this directory")
	shippers := flag.String("shippers", "", "comma-separated subset of the paced scenario's shippers: logagent, kcat, rsyslog, naive-go")
	rates := flag.String("rates", "", "comma-separated lines/s for the paced scenario (default 1750,7000,35000)")
	flag.IntVar(&opts.Files, "files", 1, "files the paced scenario spreads each rate over (above 1: logagent only)")
	flag.BoolVar(&opts.TickWrites, "tick-writes", false, "the paced writer appends each 10 ms tick with one write, not one per line (for comparison)")
	flag.StringVar(&opts.AgentINI, "agent-ini", "", "lines added to every agent's [agent] section, to compare settings")
	flag.BoolVar(&opts.Strict, "strict", false, "exit 1 when a figure misses its target, not only when one fails")
	flag.Parse()
	if *shippers != "" {
		opts.Shippers = strings.Split(*shippers, ",")
	}
	for _, f := range strings.FieldsFunc(*rates, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "-rates: %q is not a positive number of lines per second\n", f)
			os.Exit(2)
		}
		opts.Rates = append(opts.Rates, n)
	}
	if *scen != "" {
		opts.Scenarios = strings.Split(*scen, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Run(ctx, opts); err != nil {
		fmt.Fprintf(os.Stderr, "benchmark failed: %v\n", err)
		os.Exit(1)
	}
}
