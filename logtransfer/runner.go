package logtransfer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// runner runs one route, a conf.Unit under the transfer's Supervisor: its
// index template, then its own consumer group <kafka.group>-<route>, so
// routes start, stop and change independently. It owns its lane (share of
// the byte budget, held items) and its Condition.
//
// Contract: Run returns after Stop was called (or its ctx ended) and the
// group is closed; the lane is then closed and the route's state series
// deleted. Stop never blocks: with drain, consumption stops, in-flight
// records get drainFor (from the Stop) to be indexed and their offsets are
// committed; without, the sessions end at once and what is in flight is
// consumed again by the next owner.
type runner struct {
	name     string
	route    Route
	group    string
	brokers  []string
	cfg      *sarama.Config
	h        *handler
	lane     *lane
	cond     *conf.Condition
	risk     *retentionWatch // lag in time against retention.ms (retention.go)
	metrics  *Metrics
	prepare  func(ctx context.Context) error // installs the template; retried until nil
	backoff  func(int, int) time.Duration
	drainFor time.Duration
	log      *slog.Logger

	live     atomic.Bool // the state gauge is ours to move
	stopOnce sync.Once
	stop     chan bool // buffered: Stop never blocks
}

// Stop asks Run to end (see runner).
func (r *runner) Stop(drain bool) { r.stopOnce.Do(func() { r.stop <- drain }) }

// Health is the route's condition.
func (r *runner) Health() conf.Health { return r.cond.Health() }

// stateHook moves the route's state gauge while Run runs.
func (r *runner) stateHook(old, cur conf.State) {
	if r.live.Load() {
		r.metrics.routeState(r.name, old, cur)
	}
}

// Run consumes the route until Stop or ctx's end.
func (r *runner) Run(ctx context.Context) {
	r.live.Store(true)
	r.metrics.routeState(r.name, "", r.cond.Health().State)
	defer func() {
		r.live.Store(false)
		r.metrics.RouteState.DeletePartialMatch(map[string]string{"route": r.name})
	}()
	defer r.lane.close()
	ctx, cancel := context.WithCancel(ctx)
	riskDone := make(chan struct{})
	go func() { defer close(riskDone); r.risk.run(ctx) }()
	defer func() { <-riskDone }()
	drainCancel := context.CancelFunc(func() {})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case drain := <-r.stop:
			// A failing route's held records cannot finish: it stops at
			// once rather than wait out the drain deadline.
			if drain && r.cond.Health().State != conf.StateFailing {
				var dctx context.Context
				dctx, drainCancel = context.WithTimeout(context.Background(), r.drainFor)
				r.h.beginDrain(dctx)
			}
		case <-ctx.Done():
		}
		cancel()
	}()
	r.run(ctx)
	cancel()
	<-stopped
	drainCancel()
}

func (r *runner) run(ctx context.Context) {
	if !r.retry(ctx, "index template", r.prepare) {
		return
	}
	var group sarama.ConsumerGroup
	if !r.retry(ctx, "kafka consumer group", func(context.Context) error {
		g, err := sarama.NewConsumerGroup(r.brokers, r.group, r.cfg)
		group = g
		return err
	}) {
		return
	}
	r.lane.pause.setGroup(group)
	errsDone := make(chan struct{})
	go func() {
		defer close(errsDone)
		for err := range group.Errors() {
			r.h.setErr(err)
			r.cond.Trouble(conf.StateWaiting, "kafka consumer group: "+err.Error())
		}
	}()
	r.log.Info("route consuming", "topic", r.route.Topic, "group", r.group)
	for attempt := 0; ctx.Err() == nil; {
		err := group.Consume(ctx, []string{r.route.Topic}, r.h)
		if err == nil || ctx.Err() != nil {
			attempt = 0
			continue
		}
		r.h.setErr(err)
		if errors.Is(err, sarama.ErrClosedConsumerGroup) {
			break
		}
		r.cond.Trouble(conf.StateWaiting, "kafka consume: "+err.Error())
		_ = conf.Sleep(ctx, r.backoff(attempt, 0))
		attempt++
	}
	r.lane.pause.setGroup(nil)
	if err := group.Close(); err != nil {
		r.log.Warn("closing consumer group", "err", err)
	}
	<-errsDone
	r.log.Info("route stopped")
}

// retry calls f until it succeeds (true) or ctx ends (false).
func (r *runner) retry(ctx context.Context, what string, f func(context.Context) error) bool {
	for attempt := 0; ; attempt++ {
		err := f(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.h.setErr(err)
		r.cond.Trouble(conf.StateWaiting, what+": "+err.Error())
		if conf.Sleep(ctx, r.backoff(attempt, 0)) != nil {
			return false
		}
	}
}
