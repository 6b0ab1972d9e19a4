package logagent

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/logpipe/logpipe/conf"
)

// saramaLogs is where sarama's process-global logger writes in these tests.
// It is set once, before any test runs: sarama reads the global from
// goroutines that outlive the agent that started them (its client's Close
// closes connections in goroutines of its own), so a test that set it while
// an earlier test's connections were closing would race with them. A test
// that wants sarama's lines points saramaLogs at its buffer instead.
var saramaLogs = &switchWriter{}

func TestMain(m *testing.M) {
	conf.SetupSarama(slog.New(slog.NewTextHandler(saramaLogs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	os.Exit(m.Run())
}

// switchWriter writes to whatever to last named; nowhere before.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return len(p), nil
	}
	return s.w.Write(p)
}

func (s *switchWriter) to(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}
