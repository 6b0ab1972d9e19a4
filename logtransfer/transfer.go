package logtransfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/olivere/elastic/v7"
	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Transfer is the logtransfer daemon: it follows its routes in etcd and
// indexes the topics they name into Elasticsearch.
type Transfer struct {
	cfg      Config
	version  string
	log      *slog.Logger
	metrics  *Metrics
	tweak    func(*sarama.Config)
	consumer *sarama.Config

	etcd     *clientv3.Client
	es       *elastic.Client
	budget   *budget
	ix       *indexer
	dlq      *deadLetters
	tmpl     *templates
	resolver *routeResolver
	routes   *conf.Supervisor[Route, *runner]
	status   *conf.StatusPublisher
	ops      *ops.Server
	sink     *sink

	mu      sync.Mutex
	applied conf.Applied
	esErr   error
}

// Option configures a Transfer.
type Option func(*Transfer)

// WithVersion sets the version reported in status.
func WithVersion(v string) Option { return func(t *Transfer) { t.version = v } }

// withSarama adjusts the consumer configuration (tests shorten the group
// timings with it).
func withSarama(f func(*sarama.Config)) Option { return func(t *Transfer) { t.tweak = f } }

// New builds a transfer daemon from a validated configuration. It does not
// need Elasticsearch or Kafka to be up. reg receives the metrics (and is
// served on /metrics).
func New(cfg Config, log *slog.Logger, reg *prometheus.Registry, opts ...Option) (*Transfer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Transfer{cfg: cfg, version: "dev", log: log, metrics: NewMetrics(reg), resolver: newRouteResolver(),
		budget: newBudget(cfg.Transfer.MaxInflightBytes), esErr: errors.New("not checked yet")}
	for _, o := range opts {
		o(t)
	}
	t.metrics.inflight = func() float64 { return float64(t.budget.InUse()) }
	if err := os.MkdirAll(cfg.Transfer.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("transfer.state_dir: %w", err)
	}
	var err error
	if t.consumer, err = consumerConfig(cfg.Kafka, cfg.Transfer.MaxInflightBytes, t.tweak); err != nil {
		return nil, err
	}
	if t.es, err = cfg.Elasticsearch.Client(log.With("component", "elasticsearch")); err != nil {
		return nil, err
	}
	if t.dlq, err = newDeadLetters(cfg.Kafka, log.With("component", "deadletter")); err != nil {
		return nil, err
	}
	t.ix = newIndexer(t.es, cfg.Elasticsearch, t.metrics)
	t.tmpl = newTemplates(t.es, filepath.Join(cfg.Transfer.StateDir, "templates.json"), log.With("component", "templates"))
	ec, err := cfg.Etcd.ClientConfig()
	if err != nil {
		return nil, err
	}
	if t.etcd, err = clientv3.New(ec); err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	if cfg.HTTP.Listen != "" {
		if t.ops, err = ops.Listen(cfg.HTTP.Listen, reg, t.Ready, log); err != nil {
			t.etcd.Close()
			return nil, err
		}
	}
	return t, nil
}

// HTTPAddr is the address /metrics, /healthz and /readyz are served on.
func (t *Transfer) HTTPAddr() string {
	if t.ops == nil {
		return ""
	}
	return t.ops.Addr()
}

// Ready returns nil once Elasticsearch answered, a route set from etcd was
// applied and every route runs; otherwise it names what is not ready,
// degraded routes with their state, since when and why.
func (t *Transfer) Ready() error {
	t.mu.Lock()
	var errs []error
	if t.esErr != nil {
		errs = append(errs, fmt.Errorf("elasticsearch: %w", t.esErr))
	}
	errs = append(errs, t.applied.Ready("route"))
	routes := t.routes
	t.mu.Unlock()
	if routes != nil {
		for _, d := range routes.Degraded() {
			errs = append(errs, errors.New("route "+d))
		}
	}
	return errors.Join(errs...)
}

// Run transfers until ctx is done, then stops in two phases: routes stop
// consuming and their in-flight bulks get 3/4 of shutdown_timeout to finish,
// offsets are committed, then the clients are closed.
func (t *Transfer) Run(ctx context.Context) error {
	defer t.etcd.Close()
	// workCtx outlives ctx: the indexer and dead letters work under it
	// until the drain deadline, so in-flight records can still be acked.
	workCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	// Routes consume under consumeCtx, which only stopAll ends, so every
	// route learns it is draining before its sessions end.
	consumeCtx, stopConsuming := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsuming()
	t.sink = &sink{ctx: workCtx, ix: t.ix, dlq: t.dlq, budget: t.budget, metrics: t.metrics,
		stallBackoff: conf.Backoff(t.cfg.Elasticsearch.RetryBackoff, t.cfg.Elasticsearch.RetryBackoffMax)}
	routes := conf.NewSupervisor(consumeCtx, t.newRunner, conf.WithDrainOnChange())
	t.mu.Lock()
	t.routes = routes
	t.mu.Unlock()
	t.status = conf.NewStatusPublisher(t.etcd, StatusKey(t.cfg.Transfer.ID), t.cfg.Transfer.StatusTTL,
		t.cfg.Transfer.StatusInterval, func() any { return t.buildStatus() }, t.log.With("component", "status"))

	var bg sync.WaitGroup
	goBG := func(f func()) { bg.Add(1); go func() { defer bg.Done(); f() }() }
	ixDone := make(chan struct{})
	go func() { defer close(ixDone); t.ix.run(workCtx) }()
	if t.ops != nil {
		goBG(func() {
			if err := t.ops.Run(ctx); err != nil {
				t.log.Error("ops server stopped", "err", err)
			}
		})
	}
	statusCtx, stopStatus := context.WithCancel(context.WithoutCancel(ctx))
	goBG(func() { t.status.Run(statusCtx) })
	goBG(func() { t.checkES(ctx) })
	w := conf.NewWatcher(t.etcd, []string{RoutePrefix},
		conf.WithCacheFile(filepath.Join(t.cfg.Transfer.StateDir, "routes-snapshot.json")),
		conf.WithKeyFilter(isRouteKey),
		conf.WithReadTimeout(t.cfg.Etcd.DialTimeout),
		conf.WithLogger(t.log.With("component", "watcher")))
	t.log.Info("transfer started", "id", t.cfg.Transfer.ID, "version", t.version, "http", t.HTTPAddr())
	_ = w.Run(ctx, t.applySnapshot)

	// Phase 1: stop consuming; drain in-flight bulks (each route for 3/4 of
	// shutdown_timeout); commit.
	t.log.Info("stopping: draining in-flight records", "inflight_bytes", t.budget.InUse())
	routes.StopAll(true)
	stopConsuming()
	// Phase 2: stop the indexer and close the clients.
	abandon()
	<-ixDone
	t.dlq.close()
	t.es.Stop()
	stopStatus()
	bg.Wait()
	t.log.Info("transfer stopped")
	return nil
}

func (t *Transfer) newRunner(name string, r Route) *runner {
	log := t.log.With("component", "route", "route", name)
	b, err := newDocBuilder(r, t.cfg.Transfer.location())
	if err != nil {
		// Unreachable: the route was validated when decoded.
		panic(fmt.Sprintf("route %s passed validation but does not build: %v", name, err))
	}
	rn := &runner{
		name: name, route: r, group: t.cfg.Kafka.Group + "-" + name, brokers: t.cfg.Kafka.Brokers, cfg: t.consumer,
		metrics: t.metrics, log: log, backoff: conf.Backoff(t.cfg.Kafka.RetryBackoff, t.cfg.Kafka.RetryBackoffMax),
		drainFor: t.cfg.Transfer.ShutdownTimeout * 3 / 4, stop: make(chan bool, 1),
		prepare: func(ctx context.Context) error { return t.tmpl.ensure(ctx, name, r) },
	}
	rn.cond = conf.NewCondition(log, conf.WithStateHook(rn.stateHook))
	rn.lane = t.sink.lane(name, rn.cond, log)
	rn.h = newHandler(name, b, rn.lane, t.cfg.Transfer.CommitInterval, t.metrics, log)
	rn.risk = &retentionWatch{route: name, topic: r.Topic, brokers: t.cfg.Kafka.Brokers, cfg: t.consumer,
		fraction: t.cfg.Transfer.RetentionWarnFraction, every: t.cfg.Transfer.StatusInterval, h: rn.h, metrics: t.metrics,
		cond: conf.NewCondition(log.With("check", "retention")), log: log.With("check", "retention")}
	return rn
}

// applySnapshot reconciles the route set of one etcd snapshot.
func (t *Transfer) applySnapshot(s conf.Snapshot) {
	routes, rejected := t.resolver.resolve(s)
	for _, r := range t.applied.Record(s, rejected) {
		t.log.Error("route rejected, keeping its last valid version", "key", r.Key, "reason", r.Reason)
	}
	started, stopped, changed := t.routes.Apply(routes)
	for _, n := range stopped {
		t.metrics.forgetRoute(n)
	}
	t.metrics.Reloads.Inc()
	t.metrics.Routes.Set(float64(len(routes)))
	t.metrics.RejectedKeys.Set(float64(len(rejected)))
	t.log.Info("routes applied", "rev", s.Rev, "cached", s.Cached, "routes", len(routes),
		"started", started, "stopped", stopped, "changed", changed, "rejected", len(rejected))
	t.status.Poke()
}

func (t *Transfer) buildStatus() Status {
	t.mu.Lock()
	st := Status{Instance: t.cfg.Transfer.ID, Version: t.version}
	st.Rev, st.FromCache, st.Rejected = t.applied.State()
	if t.esErr != nil {
		st.LastError = "elasticsearch: " + t.esErr.Error()
	}
	t.mu.Unlock()
	st.UpdatedUnix = time.Now().Unix()
	st.InflightB = t.budget.InUse()
	for _, n := range t.routes.Units() {
		r := n.Unit
		parts, lastErr := r.h.status()
		risk, used := r.risk.status()
		for i, p := range parts {
			if u, ok := used[p.Partition]; ok {
				parts[i].UnindexedAgeMs, parts[i].RetentionUsed = u.age.Milliseconds(), round2(u.ratio)
			}
		}
		st.Routes = append(st.Routes, RouteStatus{Name: n.Name, Route: n.Spec, Group: r.group, Partitions: parts,
			LastError: lastErr, Health: r.Health(), RetentionRisk: risk})
	}
	return st
}

// checkES pings Elasticsearch for Ready until ctx is done.
func (t *Transfer) checkES(ctx context.Context) {
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err := t.es.Ping(t.cfg.Elasticsearch.URLs[0]).Do(pctx)
		cancel()
		t.mu.Lock()
		t.esErr = err
		t.mu.Unlock()
		if conf.Sleep(ctx, 5*time.Second) != nil {
			return
		}
	}
}
