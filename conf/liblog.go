package conf

import (
	"log/slog"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
)

// SetupSarama sets sarama's process-globals, once per process:
//
//   - its logger goes into log at Debug: its messages are chatty state
//     changes, and every failure that matters surfaces to our code as an
//     error we log ourselves (sarama logs no credentials);
//   - its go-metrics are off. Nothing reads them (each daemon exports its
//     own Prometheus metrics), yet every request updated a dozen
//     exponentially decaying histograms under locks, each holding a
//     1,028-sample reservoir, and the meters kept a goroutine ticking every
//     5 s: ~240 KB of the agent's live heap at 35,000 lines/s.
func SetupSarama(log *slog.Logger) {
	sarama.Logger = slog.NewLogLogger(log.With("component", "sarama").Handler(), slog.LevelDebug)
	metrics.UseNilMetrics = true
}
