package devstack

import (
	"strings"
	"testing"
)

// TestLog is an io.Writer into tb's log, for a daemon's slog handler or a
// subprocess's stderr: shown on failure or with -v, attributed to the test.
type TestLog struct{ TB testing.TB }

// Write logs p as one test log entry.
func (w TestLog) Write(p []byte) (int, error) {
	w.TB.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
