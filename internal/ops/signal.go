package ops

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// SignalContext is cancelled by the first SIGINT or SIGTERM, which starts the
// daemon's graceful stop. A second signal exits at once: both daemons only
// ever save positions (agent) or commit offsets (transfer) of data the next
// hop accepted, so an abrupt exit re-sends at most the unacknowledged tail,
// which record ids deduplicate.
func SignalContext(log *slog.Logger) context.Context {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
		force := make(chan os.Signal, 1)
		signal.Notify(force, os.Interrupt, syscall.SIGTERM)
		<-force
		log.Error("second signal: exiting without draining")
		os.Exit(1)
	}()
	return ctx
}
