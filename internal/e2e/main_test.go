//go:build linux

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// bins is the directory holding the daemons built once for this test run;
// empty under -short, where the suite is skipped.
var bins string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "logpipe-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// The Makefile's BUILDTAGS: the suite runs the daemons as shipped.
		build := exec.Command("go", "build", "-tags", "grpcnotrace,nethttpomithttp2", "-o", dir+string(filepath.Separator),
			"github.com/logpipe/logpipe/cmd/logagent", "github.com/logpipe/logpipe/cmd/logtransfer")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building the daemons: %v\n%s", err, out)
			return 1
		}
		bins = dir
	}
	return m.Run()
}
