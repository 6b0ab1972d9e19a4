package logagent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Agent is the logagent daemon: it follows its tasks in etcd and ships the
// files they name to Kafka.
type Agent struct {
	cfg     Config
	version string
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *Metrics

	etcd     *clientv3.Client
	pos      *positions
	budget   *flow.Budget
	shares   *shares
	producer *producer
	resolver *taskResolver
	tasks    *conf.Supervisor[Task, *taskRunner]
	reships  *reships // reship.go
	// reshipsDone are the reships that finished done (reshipdone.go).
	reshipsDone *reshipsDone
	// cancelAcks ends the harvesters' wait for acks (the shutdown deadline).
	cancelAcks context.CancelFunc
	status     *conf.StatusPublisher
	ops        *ops.Server
	waiter     changeWaiter

	applied conf.Applied
	changed statusChange
	// statusBuilds counts status rounds (tests wait on it).
	statusBuilds atomic.Int64
}

// Option configures an Agent.
type Option func(*Agent)

// WithVersion sets the version reported in status.
func WithVersion(v string) Option { return func(a *Agent) { a.version = v } }

// New builds an agent from a validated configuration. reg receives the
// agent's metrics (and is served on /metrics).
func New(cfg Config, log *slog.Logger, reg *prometheus.Registry, opts ...Option) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, version: "dev", log: log, reg: reg, metrics: NewMetrics(reg),
		resolver: newTaskResolver(cfg.Agent.ID, cfg.Agent.AllowedPaths), waiter: inotifyWaiter}
	for _, o := range opts {
		o(a)
	}
	if cfg.Agent.WatchMethod == "poll" {
		a.waiter = pollWaiter
	}
	if err := os.MkdirAll(cfg.Agent.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("agent.state_dir: %w", err)
	}
	var err error
	if a.pos, err = loadPositions(filepath.Join(cfg.Agent.StateDir, positionsFile)); err != nil {
		return nil, err
	}
	if a.pos.anchors, err = loadAnchors(filepath.Join(cfg.Agent.StateDir, anchorsFileName)); err != nil {
		return nil, err
	}
	a.pos.anchors.written = func(err error) { a.metrics.AnchorWrites.WithLabelValues(result(err)).Inc() }
	a.budget = flow.NewBudget(cfg.Agent.MaxInflightBytes)
	// ackCtx outlives Run's ctx: it is what harvesters wait for acks
	// under, and it ends only at the shutdown deadline.
	ackCtx, cancelAcks := context.WithCancel(context.Background())
	a.tasks, a.cancelAcks = conf.NewSupervisor(ackCtx, a.newRunner), cancelAcks
	if a.reships, err = a.newReships(ackCtx); err != nil {
		return nil, err
	}
	a.shares = newShares(maxConcurrentReads, cfg.Agent.MaxInflightBytes)
	a.metrics.inflight = func() float64 { return float64(a.budget.InUse()) }
	if a.producer, err = newProducer(cfg.Kafka, a.budget, a.metrics, log.With("component", "producer")); err != nil {
		return nil, err
	}
	ec, err := cfg.Etcd.ClientConfig()
	if err != nil {
		return nil, err
	}
	if a.etcd, err = clientv3.New(ec); err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	if cfg.HTTP.Listen != "" {
		if a.ops, err = ops.Listen(cfg.HTTP.Listen, reg, a.Ready, log); err != nil {
			a.etcd.Close()
			return nil, err
		}
		a.serveStatus(a.ops)
	}
	return a, nil
}

// HTTPAddr is the address /metrics, /healthz and /readyz are served on.
func (a *Agent) HTTPAddr() string {
	if a.ops == nil {
		return ""
	}
	return a.ops.Addr()
}

// Ready returns nil once Kafka answered and a task set was applied, and while
// no task is degraded. A waiting or failing task makes /readyz answer 503
// with one line per degraded task (name, state, since, reason): the agent
// runs and its other tasks ship, but one of its tasks does not, and an
// orchestrator or probe should see it (a rollout of a bad task pauses).
func (a *Agent) Ready() error {
	var errs []error
	if !a.producer.isReady() {
		errs = append(errs, errors.New("kafka not reachable yet"))
	}
	if d := a.tasks.Degraded(); len(d) > 0 {
		errs = append(errs, fmt.Errorf("degraded tasks:\n%s", strings.Join(d, "\n")))
	}
	return errors.Join(append(errs, a.applied.Ready("task"))...)
}

// Run ships until ctx is done, then stops in two phases: harvesters stop
// reading, in-flight records get until 3/4 of shutdown_timeout to be acked,
// positions are saved, and the producer is closed.
func (a *Agent) Run(ctx context.Context) error {
	defer a.etcd.Close()
	cancelAcks := a.cancelAcks
	defer cancelAcks()
	a.status = conf.NewStatusPublisher(a.etcd, StatusKey(a.cfg.Agent.ID), a.cfg.Agent.StatusTTL,
		a.cfg.Agent.StatusInterval, func() any { return a.buildStatus() }, a.log.With("component", "status"))

	var bg sync.WaitGroup
	goBG := func(f func()) { bg.Add(1); go func() { defer bg.Done(); f() }() }
	prodCtx, cancelProd := context.WithCancel(ctx)
	defer cancelProd()
	goBG(func() { _ = a.producer.connect(prodCtx) })
	if a.ops != nil {
		goBG(func() {
			if err := a.ops.Run(ctx); err != nil {
				a.log.Error("ops server stopped", "err", err)
			}
		})
	}
	statusCtx, cancelStatus := context.WithCancel(context.WithoutCancel(ctx))
	goBG(func() { a.status.Run(statusCtx) })
	goBG(func() { a.saveLoop(ctx) })
	w := conf.NewWatcher(a.etcd, watchPrefixes(a.cfg.Agent.ID),
		conf.WithCacheFile(filepath.Join(a.cfg.Agent.StateDir, "tasks-snapshot.json")),
		conf.WithKeyFilter(isTaskKey(a.cfg.Agent.ID)),
		conf.WithReadTimeout(a.cfg.Etcd.DialTimeout),
		conf.WithLogger(a.log.With("component", "watcher")))
	a.log.Info("agent started", "id", a.cfg.Agent.ID, "version", a.version, "http", a.HTTPAddr())
	_ = w.Run(ctx, a.applySnapshot)

	// Phase 1: stop reading; wait (bounded) for what is in flight.
	a.log.Info("stopping: draining in-flight records", "inflight_bytes", a.budget.InUse())
	deadline := time.AfterFunc(a.cfg.Agent.ShutdownTimeout*3/4, cancelAcks)
	defer deadline.Stop()
	a.reships.StopAll(false)
	a.tasks.StopAll(false)
	// Phase 2: close the producer, save the final positions.
	cctx, cancel := context.WithTimeout(context.Background(), a.cfg.Agent.ShutdownTimeout/4)
	defer cancel()
	a.producer.close(cctx)
	cancelProd()
	err := a.savePositions()
	// The harvesters trimmed their anchors to what they sent, and the
	// positions saved last may let more go: write it, so that the next
	// start reserves nothing for lines that were never sent.
	if aerr := a.pos.anchors.flush(); aerr != nil {
		err = errors.Join(err, aerr)
	}
	cancelStatus()
	bg.Wait()
	a.log.Info("agent stopped")
	return err
}

func (a *Agent) newRunner(name string, t Task) *taskRunner {
	log := a.log.With("component", "task", "task", name)
	gauge := a.metrics.taskState(name)
	cond := conf.NewCondition(log, conf.WithStateHook(func(old, cur conf.State) {
		gauge(old, cur)
		a.pokeStatus()
	}))
	k := a.cfg.Kafka
	return &taskRunner{
		name: name, task: t, cfg: a.cfg.Agent, agent: a.cfg.Agent.ID, budget: a.budget, shares: a.shares,
		link:     &taskLink{health: &taskHealth{cond: cond, quiet: slowRetry(k) + k.RetryBackoffMax}},
		producer: a.producer, pos: a.pos, anchors: a.pos.anchors, metrics: a.metrics, tm: a.metrics.forTask(name), waiter: a.waiter,
		log:        log,
		harvesters: map[devIno]*harvester{}, known: map[devIno]knownFile{},
		stopCh: make(chan struct{}), drainCh: make(chan struct{}),
	}
}

// pokeStatus asks for a status write soon (a task changed state).
func (a *Agent) pokeStatus() {
	if a.status != nil {
		a.status.Poke()
	}
}

// applySnapshot reconciles the task set of one etcd snapshot.
func (a *Agent) applySnapshot(s conf.Snapshot) {
	s, reships := splitReships(a.cfg.Agent.ID, s)
	defer a.applyReships(reships) // after the tasks: a reship takes the task's settings
	tasks, rejected := a.resolver.resolve(s)
	for _, r := range a.applied.Record(s, rejected) {
		a.log.Error("task rejected, keeping its last valid version", "key", r.Key, "reason", r.Reason)
	}
	started, stopped, changed := a.tasks.Apply(tasks)
	for _, n := range stopped {
		a.metrics.forgetTask(n)
	}
	a.metrics.Reloads.Inc()
	a.metrics.Tasks.Set(float64(len(tasks)))
	a.metrics.RejectedKeys.Set(float64(len(rejected)))
	a.log.Info("tasks applied", "rev", s.Rev, "cached", s.Cached, "tasks", len(tasks),
		"started", started, "stopped", stopped, "changed", changed, "rejected", len(rejected))
	a.status.Poke()
}

// saveLoop writes positions every save_interval (each harvester publishes
// its own, progress.go) and forgets files gone longer than clean_removed.
func (a *Agent) saveLoop(ctx context.Context) {
	t := newTickTimer(a.cfg.Agent.SaveInterval)
	defer t.stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			t.next()
			if n := a.pos.forget(time.Now().Add(-a.cfg.Agent.CleanRemoved)); n > 0 {
				a.log.Info("forgot positions of long-gone files", "count", n)
			}
			if err := a.savePositions(); err != nil {
				a.log.Error("saving positions", "err", err)
			}
		}
	}
}

func (a *Agent) savePositions() error {
	err := a.pos.save()
	a.metrics.PositionSaves.WithLabelValues(result(err)).Inc()
	return err
}

// result is a write's result label.
func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}
