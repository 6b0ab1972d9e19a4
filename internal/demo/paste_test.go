package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/ctl"
	"github.com/logpipe/logpipe/internal/devstack"
)

// TestBannerLogctlLinesRun pastes every logctl line the banner (and the
// explain line after the warm-up) prints, as
// printed, into logctl (in-process) while the demo runs: each must exit 0
// and print something. top runs until Ctrl-C, so it gets a few seconds
// and is then interrupted, as a user would.
func TestBannerLogctlLinesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	out := &devstack.SyncBuffer{}
	o := DefaultOptions()
	o.Rate, o.Dir, o.Out = 200, t.TempDir(), out
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := Run(ctx, o); done <- err }()
	defer func() { stop(); <-done }()
	devstack.WaitFor(t, time.Minute, "the banner", func() bool { return strings.Contains(out.String(), "  curl -s") })
	// explain is printed once the pipeline is ready, for the file then written.
	devstack.WaitFor(t, time.Minute, "the explain line", func() bool { return strings.Contains(out.String(), " explain --config ") })

	var pasted int
	for _, line := range strings.Split(out.String(), "\n") {
		line = strings.TrimSpace(line)
		args, ok := strings.CutPrefix(line, logctlCommand()+" ")
		if !ok {
			continue
		}
		pasted++
		t.Run(strings.Fields(args)[0], func(t *testing.T) {
			rctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			if strings.HasPrefix(args, "top ") {
				rctx, cancel = context.WithTimeout(t.Context(), 3*time.Second) // Ctrl-C
			}
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := ctl.Run(rctx, strings.Fields(args), &stdout, &stderr, func(string) string { return "" })
			t.Logf("%s → %d\n%s%s", line, code, stdout.String(), stderr.String())
			if code != 0 || stdout.Len() == 0 {
				t.Errorf("%s: exit %d, %d bytes of output", line, code, stdout.Len())
			}
			if strings.Contains(stdout.String(), "failed:") {
				t.Errorf("%s: a step failed", line)
			}
		})
	}
	if pasted < 8 {
		t.Errorf("the banner prints %d logctl lines, want status, top, check ×2, tap ×2, lag and explain", pasted)
	}
}
