package conf

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
)

// HTTP is the [http] section: where /metrics, /healthz and /readyz listen.
// An empty listen address turns the endpoint off.
type HTTP struct {
	Listen string `ini:"listen"`
}

// Validate reports every problem of the section.
func (h HTTP) Validate() error {
	if h.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		return fieldErr("http", "listen", "%v", err)
	}
	return nil
}

// Log is the [log] section.
type Log struct {
	Level  string `ini:"level"`
	Format string `ini:"format"`
}

// DefaultLog returns the [log] section's defaults: info, text.
func DefaultLog() Log { return Log{Level: "info", Format: "text"} }

// Validate reports every problem of the section.
func (l Log) Validate() error {
	var errs []error
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Level)); err != nil {
		errs = append(errs, fieldErr("log", "level", "%q: want debug, info, warn or error", l.Level))
	}
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, fieldErr("log", "format", "%q: want text or json", l.Format))
	}
	return errors.Join(errs...)
}

// Logger builds the process logger writing to w (stderr when nil).
func (l Log) Logger(w io.Writer) *slog.Logger {
	if w == nil {
		w = os.Stderr
	}
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToLower(l.Level)))
	opts := &slog.HandlerOptions{Level: lv}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
