package mirror

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// slogger routes kgo's log lines into slog. kgo's info level logs every
// metadata refresh and connection; only warnings and errors are passed on.
type slogger struct{ log *slog.Logger }

func (l slogger) Level() kgo.LogLevel { return kgo.LogLevelWarn }

func (l slogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelWarn
	if level == kgo.LogLevelError {
		lv = slog.LevelError
	}
	l.log.Log(context.Background(), lv, msg, keyvals...)
}
