package conf

import (
	"log/slog"

	"github.com/IBM/sarama"
)

// RouteSaramaLogs sends sarama's package-global logger into log at Debug, once
// per process: its messages are chatty state changes, and every failure that
// matters surfaces to our code as an error we log ourselves. sarama logs no
// credentials.
func RouteSaramaLogs(log *slog.Logger) {
	sarama.Logger = slog.NewLogLogger(log.With("component", "sarama").Handler(), slog.LevelDebug)
}
