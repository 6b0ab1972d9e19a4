package conf

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
)

// esLogger routes one of olivere's loggers into slog.
type esLogger struct {
	log    *slog.Logger
	level  slog.Level
	redact bool
}

// authHeader matches the credentials olivere's trace log dumps with every
// request.
var authHeader = regexp.MustCompile(`(?im)^(authorization|proxy-authorization|cookie):.*$`)

// Printf implements elastic.Logger.
func (l esLogger) Printf(format string, v ...any) {
	if !l.log.Enabled(context.Background(), l.level) {
		return
	}
	msg := fmt.Sprintf(format, v...)
	if l.redact {
		msg = authHeader.ReplaceAllString(msg, "$1: [redacted]")
	}
	l.log.Log(context.Background(), l.level, "elasticsearch client", "detail", msg)
}
