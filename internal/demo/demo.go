// Package demo runs logpipe's whole path in one process, on 127.0.0.1, for
// `make demo` (cmd/logstack) and for the test that makes `make test` run a
// short unattended demo:
//
//	generator ──▶ mg_YYYY-MM-DD-HH.log ──▶ logagent ──▶ "cloud" Kafka ──▶ mirror ──▶ "idc" Kafka ──▶ logtransfer ──▶ ES-API stand-in
//	 (--rate)      (hourly, --roll)         (ini)        (kfake)          (MM2       (kfake)          (ini)           (esdev)
//	                                          ▲                            stand-in)                   ▲
//	                                          └──────── task and route put into embedded etcd ─────────┘
//
// The daemons are the real ones, built by logagent.New and logtransfer.New
// from ini files written into the demo's directory and read by their own
// LoadConfig. Only Kafka (kfake), MirrorMaker 2 (internal/mirror) and
// Elasticsearch (internal/esdev) are stand-ins.
//
// While it runs, an oracle reads every document back through the search
// API as it becomes searchable and matches it, by the request id each line
// carries and a hash of the line, with what was written. At the end the
// generator stops and the demo waits (bounded) until every written line
// was matched.
//
// It runs in bounded memory however long it runs: both clusters and the
// stand-in keep only the last Retain of what passed through them (the
// stand-in at most MaxDocs documents, each partition at most 32 MiB), and
// the oracle its per-line state for Retain. A document the stand-in drops
// before the oracle read it is counted from the stand-in's expiry hook,
// so the check stays exact.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Defaults of Options.
const (
	DefaultRate  = 2000
	DefaultRoll  = time.Hour
	DefaultDrain = 30 * time.Second
	// DefaultRetain and DefaultMaxDocs bound what the demo keeps: at 2,000
	// lines/s the stand-in holds at most 100,000 documents (50 s).
	DefaultRetain  = time.Minute
	DefaultMaxDocs = 100_000
	// startTimeout bounds the daemons' readiness and the first line's trip.
	startTimeout = 60 * time.Second
)

// Options configure a demo run.
type Options struct {
	// Rate is how many lines a second the generator writes.
	Rate int
	// Roll is how often a new hourly file starts: time.Hour follows the
	// wall clock; shorter makes the next "hour" start every Roll, so
	// rotation is visible.
	Roll time.Duration
	// For is how long the generator runs; 0 runs until ctx is done.
	For time.Duration
	// Drain bounds the wait, once the generator stopped, for every line to
	// be indexed.
	Drain time.Duration
	// Retain is how long both clusters and the stand-in keep what passed
	// through them, and the oracle the state of a line it matched.
	Retain time.Duration
	// MaxDocs is how many documents the stand-in keeps at most.
	MaxDocs int
	// Dir holds everything (logs, ini files, data); empty makes a temporary
	// directory, removed at the end unless Keep is set or the check failed.
	Dir  string
	Keep bool
	// Out receives the banner, the status lines and the summary.
	Out io.Writer
	// InPlace rewrites the status line with \r (Out is a terminal) instead
	// of printing one line a second.
	InPlace bool
}

// DefaultOptions returns the options `make demo` runs with.
func DefaultOptions() Options {
	return Options{Rate: DefaultRate, Roll: DefaultRoll, Drain: DefaultDrain, Retain: DefaultRetain, MaxDocs: DefaultMaxDocs,
		Out: os.Stdout}
}

// Validate reports every problem of o.
func (o Options) Validate() error {
	var errs []error
	if o.Rate <= 0 {
		errs = append(errs, fmt.Errorf("rate: must be positive, got %d", o.Rate))
	}
	if o.Roll < time.Second {
		errs = append(errs, fmt.Errorf("roll: %s: want at least 1s", o.Roll))
	}
	if o.For < 0 || o.Drain <= 0 {
		errs = append(errs, fmt.Errorf("for, drain: want for >= 0 and drain > 0, got %s and %s", o.For, o.Drain))
	}
	if o.Retain < time.Second || o.MaxDocs <= 0 {
		errs = append(errs, fmt.Errorf("retain, max-docs: want at least 1s and a positive number, got %s and %d", o.Retain, o.MaxDocs))
	}
	if o.Out == nil {
		errs = append(errs, errors.New("out: required"))
	}
	return errors.Join(errs...)
}

// Result is what the final check found.
type Result struct {
	Written, Indexed, Missing, Duplicates int64
	// P99 is the 99th percentile, over the whole run, of the time from
	// writing a line to its file to its document becoming searchable (see
	// clock), to the millisecond.
	P99 time.Duration
	// Kept is the most the demo held at once, sampled every second.
	Kept Kept
}

// Kept is what the demo holds that grows with the lines passing through.
type Kept struct {
	// Docs are the documents in the stand-in.
	Docs int64
	// Records are the records of the demo's topic in both clusters.
	Records int64
	// Lines are the lines the oracle holds state for.
	Lines int64
}

func (k Kept) max(o Kept) Kept {
	return Kept{Docs: max(k.Docs, o.Docs), Records: max(k.Records, o.Records), Lines: max(k.Lines, o.Lines)}
}

// OK is true when every written line is indexed exactly once.
func (r Result) OK() bool { return r.Written > 0 && r.Missing == 0 && r.Duplicates == 0 }

// String is the demo's final line.
func (r Result) String() string {
	return fmt.Sprintf("demo: written=%d indexed=%d missing=%d duplicates=%d p99_ms=%d",
		r.Written, r.Indexed, r.Missing, r.Duplicates, r.P99.Milliseconds())
}

// Run runs the demo until o.For passed or ctx is done, then drains,
// checks, stops everything and prints the final line (Result.String) last.
// An error means the demo could not run or check; a Result that is not OK
// means lines were lost or duplicated.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := o.Validate(); err != nil {
		return Result{}, err
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "logstack-"); err != nil {
			return Result{}, err
		}
	}
	res, err := run(ctx, o, dir)
	if o.Dir == "" {
		if o.Keep || err != nil || !res.OK() {
			fmt.Fprintf(o.Out, "kept %s\n", dir)
		} else {
			os.RemoveAll(dir)
		}
	}
	if res != (Result{}) { // the check ran
		fmt.Fprintln(o.Out, res)
	}
	return res, err
}

func run(ctx context.Context, o Options, dir string) (res Result, err error) {
	st, err := startStack(dir, o)
	if err != nil {
		return res, fmt.Errorf("starting the stack: %w", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = st.stop()
		}
	}()
	printBanner(o, st)

	gen := newGenerator(st.logDir, o.Rate, o.Roll, st.oracle, time.Now())
	if err := warmUp(ctx, o.Out, st, gen); err != nil {
		return res, err
	}
	mon := &monitor{st: st, gen: gen, start: time.Now()}
	line := &statusLine{w: o.Out, inPlace: o.InPlace}
	if err := generate(ctx, o, gen, mon, line); err != nil {
		return res, err
	}
	ran := time.Since(mon.start)
	fmt.Fprintf(o.Out, "generator stopped: %d lines in %d files; waiting up to %s for all to be searchable\n",
		gen.written.Load(), gen.files.Load(), o.Drain)
	c, err := drain(o.Drain, st, mon, line)
	if err != nil {
		return res, err
	}
	last := mon.sample(time.Now())
	res = Result{Written: gen.written.Load(), Indexed: c.Indexed, Missing: c.Missing, Duplicates: c.Duplicates,
		P99: st.clock.quantile(0.99), Kept: mon.peak}
	transferP99 := histogram(st.transferReg, metricLatency).quantile(0.99)

	began := time.Now()
	stopped = true
	stopErr := st.stop()
	fmt.Fprintf(o.Out, "stopped: daemons drained and stopped in %s\n", time.Since(began).Round(time.Millisecond))
	fmt.Fprintf(o.Out, "summary: %d lines in %d files over %s; acked=%d mirrored=%d indexed=%d foreign=%d (%d read from the expiry hook)\n",
		res.Written, gen.files.Load(), ran.Round(100*time.Millisecond), last.acked, last.mirrored, res.Indexed, c.Foreign, c.Expired)
	fmt.Fprintf(o.Out, "kept at most: %d documents, %d records (both clusters), state of %d lines (retain %s, max %d documents)\n",
		res.Kept.Docs, res.Kept.Records, res.Kept.Lines, o.Retain, o.MaxDocs)
	fmt.Fprintf(o.Out, "latency: file write to searchable p50=%dms p99=%dms max=%dms (every line after the first); logtransfer_write_to_index_seconds p99≈%dms (read to bulk answer, bucketed)\n",
		st.clock.quantile(0.5).Milliseconds(), res.P99.Milliseconds(), st.clock.quantile(1).Milliseconds(), transferP99.Milliseconds())
	return res, stopErr
}

// warmUp waits for both daemons to be ready, then writes the first line and
// waits for it to be searchable, so the rate starts against a warm pipeline
// (consumer groups joined, topics created on both clusters).
func warmUp(ctx context.Context, out io.Writer, st *stack, gen *generator) error {
	began := time.Now()
	if err := waitUntil(ctx, startTimeout, func() bool { return st.ready() == nil }); err != nil {
		return fmt.Errorf("daemons not ready (%v): %w; see %s", st.ready(), err, st.logPath)
	}
	if err := gen.write(time.Now(), 1); err != nil {
		return err
	}
	if err := waitUntil(ctx, startTimeout, func() bool { return st.clock.searchable() > 0 }); err != nil {
		return fmt.Errorf("the first line did not become searchable: %w; see %s", err, st.logPath)
	}
	fmt.Fprintf(out, "pipeline ready after %s: the first line went from file to searchable\n", time.Since(began).Round(time.Millisecond))
	fmt.Fprintf(out, "why that file is shipped (or why not, when it is not):\n  %s\n", explainLine(st, gen))
	// Its latency is the consumer groups' joining, not the pipeline's pace.
	st.clock.reset()
	return nil
}

// generate writes lines until o.For passed or ctx is done, showing a
// status line every second.
func generate(ctx context.Context, o Options, gen *generator, mon *monitor, line *statusLine) error {
	if o.For > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.For)
		defer cancel()
	}
	done := make(chan error, 1)
	go func() { done <- gen.run(ctx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			line.end()
			if err != nil {
				return fmt.Errorf("generator: %w", err)
			}
			return nil
		case now := <-tick.C:
			line.show(mon.sample(now))
		}
	}
}

// drain waits up to timeout until the oracle matched every written line
// with a document, then has it read what became searchable since its last
// poll, and returns its check. A search sees a document only after the
// index's next periodic refresh (1 s), which drain waits for rather than
// forcing one. It ignores the run's context: after Ctrl-C the demo still
// finishes what it wrote (a second Ctrl-C exits at once).
func drain(timeout time.Duration, st *stack, mon *monitor, line *statusLine) (check, error) {
	defer line.end()
	deadline := time.Now().Add(timeout)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	nextStatus := time.Now().Add(time.Second)
	for {
		now := time.Now()
		if !now.Before(nextStatus) {
			line.show(mon.sample(now))
			nextStatus = now.Add(time.Second)
		}
		if now.After(deadline) || st.oracle.pending() == 0 {
			err := st.oracle.poll(context.Background(), st.esURL, st.indices())
			return st.oracle.result(), err
		}
		<-poll.C
	}
}

// waitUntil polls cond until it holds, timeout passes or ctx is done.
func waitUntil(ctx context.Context, timeout time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
