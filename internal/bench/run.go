package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// rate is the steady write rate of the follow, broker-down and e2e
// scenarios, in lines per second (the "35k" in their figure names).
const rate = 35_000

// Options configure a run.
type Options struct {
	// Duration is how long the follow and the broker-down phases last.
	Duration time.Duration
	// E2EDuration is how long latency is measured end to end.
	E2EDuration time.Duration
	// Lines is the size of the throughput scenario's file.
	Lines int
	// Docs is how many records the transfer scenario indexes.
	Docs int
	// Scenarios names the scenarios to run; empty runs all (see Scenarios).
	Scenarios []string
	// Keep leaves the work directory (files, data, daemon logs) in place.
	Keep bool
	// Compression, when set, overrides the agent's [kafka] compression
	// (none, gzip, snappy, lz4, zstd) to compare codecs; empty keeps the default, snappy.
	Compression string
	// Profile, when set, is a directory for perf profiles of the agent in
	// the throughput scenario and while following at 35,000 lines/s, and of
	// logtransfer in the transfer scenario.
	Profile string
	// Shippers, when set, limits the paced scenario to these shippers
	// (logagent, kcat, rsyslog, naive-go).
	Shippers []string
	// AgentINI is appended to the [agent] section of every agent's ini
	// file, to compare settings (e.g. "read_interval = 200ms").
	AgentINI string
	// Rates, when set, limits the paced scenario to these lines/s (default
	// 1,750, 7,000 and 35,000).
	Rates []int
	// Files, when above 1, has the paced scenario's writer spread each rate
	// over this many files of one task (logagent only: the peers follow
	// one file).
	Files int
	// TickWrites has the paced scenario's writer append each 10 ms tick's
	// lines with one write call instead of one per line: how the issue's
	// first peer figures were taken (kcat costs less than half as much
	// under it at 35,000 lines/s), for comparison only.
	TickWrites bool
	// Strict makes a missed target an error, not only a scenario that failed.
	Strict bool
	// TaskKey and RouteKey are the etcd keys of an agent's task and of a
	// route (logagent.TaskKey, logtransfer.RouteKey), passed in so this
	// package does not depend on the daemons it measures.
	TaskKey  func(agent, name string) string
	RouteKey func(name string) string
	// StatusKey is an agent's status key (logagent.StatusKey).
	StatusKey func(agent string) string
	// Progress receives a line per step; Out the final table.
	Progress, Out io.Writer
}

// scenario is one measurement and the figures it produces.
type scenario struct {
	name    string
	figures []string
	run     func(*env, context.Context, *report) error
}

var scenarios = []scenario{
	{"throughput", []string{"agent_lines_per_s", "agent_cpu_s_per_mline"}, (*env).throughput},
	{"follow", []string{"agent_cpu_pct_at_35k", "agent_rss_mb_at_35k", "agent_rss_mb_kafka_down",
		"agent_lost_kafka_down"}, (*env).follow},
	{"transfer", []string{"transfer_docs_per_s", "transfer_cpu_s_per_mdoc"}, (*env).transfer},
	{"backlog", []string{"transfer_backlog_rss_mb"}, (*env).backlog},
	{"e2e", []string{"e2e_p50_ms", "e2e_p99_ms"}, (*env).e2e},
	{"wake", wakeCostFigures, (*env).wakeScenario},
	{"paced", paceFigures(), (*env).paced},
	{"codecs", codecFigures(), (*env).codecsScenario},
	{"files", []string{"etcd_kb_per_agent_min_100_files", "agent_rss_mb_midline_500_files"}, (*env).files},
}

// Scenarios lists the scenario names in the order they run.
func Scenarios() []string {
	var out []string
	for _, s := range scenarios {
		out = append(out, s.name)
	}
	return out
}

// Errors Run returns after printing the report.
var (
	ErrFailed = errors.New("some figures could not be measured")
	ErrMissed = errors.New("some figures missed their target")
)

// env is what the scenarios share: the built binaries, the embedded etcd,
// the children and the CPU layout.
type env struct {
	opts  Options
	dir   string
	bins  string // directory of the built binaries
	ch    *children
	etcd  *devstack.Etcd
	cli   *clientv3.Client
	start time.Time
	// agentCPUs is the one CPU the agent gets to itself; otherCPUs hold the
	// broker. Both are nil on a one-CPU machine: nothing is pinned then.
	agentCPUs, otherCPUs []int
}

// Run builds the daemons, runs the scenarios and prints the report.
func Run(ctx context.Context, opts Options) error {
	for _, s := range opts.Scenarios {
		if !slices.Contains(Scenarios(), s) {
			return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(Scenarios(), ", "))
		}
	}
	if opts.Profile != "" {
		var err error
		if opts.Profile, err = checkProfile(opts.Profile); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "logpipe-bench-")
	if err != nil {
		return err
	}
	if opts.Keep {
		fmt.Fprintf(opts.Progress, "work directory (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	e := &env{opts: opts, dir: dir, bins: filepath.Join(dir, "bin"), start: time.Now()}
	if n := runtime.NumCPU(); n >= 2 {
		e.agentCPUs = []int{n - 1}
		for c := range n - 1 {
			e.otherCPUs = append(e.otherCPUs, c)
		}
	}
	if err := e.build(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	e.ch = newChildren(filepath.Join(dir, "logs"))
	defer e.ch.stopAll()
	if e.etcd, err = devstack.StartEtcd(filepath.Join(dir, "etcd")); err != nil {
		return err
	}
	defer e.etcd.Stop()
	if e.cli, err = e.etcd.Client(); err != nil {
		return err
	}
	defer e.cli.Close()
	e.logf("etcd %s (in the harness); agent pinned to CPUs %v, broker to %v", e.etcd.Endpoint(), e.agentCPUs, e.otherCPUs)

	r := &report{}
	for _, s := range scenarios {
		if len(opts.Scenarios) > 0 && !slices.Contains(opts.Scenarios, s.name) {
			continue
		}
		e.logf("%s: start", s.name)
		err := s.run(e, ctx, r)
		e.ch.stopAll() // whatever the scenario left running
		if err != nil {
			e.logf("%s: FAILED: %v", s.name, err)
			r.fail(err, r.missing(s.figures)...)
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.note("processes: logagent, logtransfer, benchbroker (kfake) and benchsink (bulk endpoint answering created) each run as their own process; etcd and the load generator run in the harness")
	missed, failed := r.print(opts.Out)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failed:
		return ErrFailed
	case missed && opts.Strict:
		return ErrMissed
	}
	return nil
}

// buildTags are the Makefile's BUILDTAGS: the daemons measured are the
// daemons shipped.
const buildTags = "grpcnotrace,nethttpomithttp2"

// build compiles the daemons as `make build` does (but with symbols when
// profiling), and the helper programs.
func (e *env) build(ctx context.Context) error {
	e.logf("building logagent, logtransfer, benchbroker, benchsink, naiveagent, wakecost")
	ldflags := "-s -w"
	if e.opts.Profile != "" {
		ldflags = ""
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", buildTags, "-ldflags="+ldflags, "-o", e.bins+"/",
		"github.com/logpipe/logpipe/cmd/logagent", "github.com/logpipe/logpipe/cmd/logtransfer",
		"github.com/logpipe/logpipe/internal/cmd/benchbroker", "github.com/logpipe/logpipe/internal/cmd/benchsink",
		"github.com/logpipe/logpipe/internal/cmd/naiveagent", "github.com/logpipe/logpipe/internal/cmd/wakecost")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

func (e *env) bin(name string) string { return filepath.Join(e.bins, name) }

// stage is what a scenario starts from: its directory, a logs directory
// for the files the agent reads, and a broker of its own (which the
// scenario stops).
type stage struct {
	dir, logs string
	broker    *broker
}

func (e *env) newStage(name string) (*stage, error) {
	st := &stage{dir: filepath.Join(e.dir, name), logs: filepath.Join(e.dir, name, "logs")}
	if err := os.MkdirAll(st.logs, 0o755); err != nil {
		return nil, err
	}
	var err error
	st.broker, err = startBroker(e.ch, e.bin("benchbroker"), filepath.Join(st.dir, "kafka"), e.otherCPUs)
	return st, err
}

func (e *env) logf(format string, args ...any) {
	fmt.Fprintf(e.opts.Progress, "[%6.1fs] %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

// sleep waits d or until ctx ends.
var sleep = conf.Sleep
