package logtransfer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"
)

// runner runs one route: its index template, then its own consumer group
// <kafka.group>-<route>, so routes start, stop and change independently.
//
// Contract: run returns after stop was called (or its ctx ended) and the
// group is closed. stop drains: consumption stops, in-flight records get
// until ctx to be indexed, their offsets are committed, then it returns.
type runner struct {
	name    string
	route   Route
	group   string
	brokers []string
	cfg     *sarama.Config
	h       *handler
	prepare func(ctx context.Context) error // installs the template; retried until nil
	backoff func(int, int) time.Duration
	log     *slog.Logger

	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// start runs the route in the background under ctx; after stop it does
// nothing (a changed route's replacement may be stopped before it starts).
func (r *runner) start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		r.run(ctx)
	}()
}

// stop drains the route (see runner) and waits for it.
func (r *runner) stop(drain context.Context) {
	r.mu.Lock()
	r.stopped = true
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	r.h.beginDrain(drain)
	cancel()
	<-done
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
	errsDone := make(chan struct{})
	go func() {
		defer close(errsDone)
		for err := range group.Errors() {
			r.h.setErr(err)
			r.log.Warn("consumer group error", "err", err)
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
		r.log.Warn("consume failed, retrying", "err", err, "attempt", attempt+1)
		sleepCtx(ctx, r.backoff(attempt, 0))
		attempt++
	}
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
		r.log.Warn("route not started yet, retrying", "step", what, "attempt", attempt+1, "err", err)
		if !sleepCtx(ctx, r.backoff(attempt, 0)) {
			return false
		}
	}
}

// sleepCtx waits d; it reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
