package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// profile samples a running daemon with `perf record` (when -profile is
// set) until the returned function is called, then writes perf's flat
// report beside the data. Attaching to the pid keeps the daemon the direct
// child whose CPU the harness reads; the binaries are built with symbols in
// this mode. The figures of a profiled run include perf's sampling cost.
func (e *env) profile(name string, p *Proc) (finish func(r *report)) {
	if e.opts.Profile == "" {
		return func(*report) {}
	}
	data := filepath.Join(e.opts.Profile, name+".perf.data")
	perf, _, err := e.ch.start(procSpec{name: "perf-" + name, bin: "perf",
		args: []string{"record", "-F", "999", "-g", "-o", data, "-p", strconv.Itoa(p.Pid())}})
	if err != nil {
		e.logf("%s: no profile: %v", name, err)
		return func(*report) {}
	}
	return func(r *report) {
		_ = perf.Stop(30 * time.Second) // perf writes its data on SIGTERM
		txt := filepath.Join(e.opts.Profile, name+".perf.txt")
		out, err := exec.Command("perf", "report", "-i", data, "--stdio", "--children", "-g", "none",
			"--sort", "symbol", "--percent-limit", "0.5").Output()
		if err == nil {
			err = os.WriteFile(txt, out, 0o644)
		}
		if err != nil {
			e.logf("%s: perf report: %v", name, err)
			return
		}
		r.note("profile of %s: %s (call graphs: perf report -i %s)", name, txt, data)
	}
}

// checkProfile makes the profile directory absolute and checks for perf.
func checkProfile(dir string) (string, error) {
	if _, err := exec.LookPath("perf"); err != nil {
		return "", fmt.Errorf("-profile needs perf on PATH: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return abs, os.MkdirAll(abs, 0o755)
}
