//go:build linux

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
)

// checkRejections waits until the agent's status key lists every rejected
// task and notes each reason on its row.
func checkRejections(t *testing.T, s *stack, rejected []*badInput) {
	cli := devstack.NewEtcdClient(t, s.etcd)
	var st logagent.Status
	devstack.Poll(15*time.Second, func() bool {
		return readStatus(t.Context(), cli, logagent.StatusKey(agentID), &st) && len(st.Rejected) >= len(rejected)
	})
	reasons := map[string]string{}
	for _, r := range st.Rejected {
		reasons[r.Key] = r.Reason
	}
	for _, in := range rejected {
		key := logagent.TaskKey(agentID, in.rejectKey)
		switch reason, ok := reasons[key]; {
		case !ok:
			in.problem("%s not listed as rejected in %s", key, logagent.StatusKey(agentID))
		case !strings.Contains(reason, in.rejectReason):
			in.problem("rejected with %q, want it to mention %q", reason, in.rejectReason)
		default:
			in.note("status key: %s: %s", key[strings.LastIndexByte(key, '/')+1:], shorten(reason, 90))
		}
	}
	var running []string
	for _, ts := range st.Tasks {
		running = append(running, ts.Name)
	}
	if strings.Join(running, ",") != "app,edge,gbk,many" {
		t.Errorf("tasks running next to the rejected ones: %v, want app, edge, gbk, many", running)
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// checkLongLine: the 10 MB line is one document cut at max_line_bytes and
// flagged, counted in the agent's metrics; its neighbours are whole.
func checkLongLine(ins []*badInput, byPath map[string][]indexedDoc, metrics string) {
	in := findInput(ins, "10 MB line")
	for p, want := range in.files {
		for _, d := range byPath[p] {
			cut := d.message == want[1]
			if d.truncated != cut || (d.header["lp.truncated"] == "true") != cut {
				in.problem("document %.20q: lp.truncated %v in the index, %q in the record, want %v",
					d.message, d.truncated, d.header["lp.truncated"], cut)
			}
		}
	}
	series := `logagent_lines_truncated_total{task="edge"}`
	if v, ok := metricValue(metrics, series); !ok || v != 1 {
		in.problem("%s = %v (present %v), want 1", series, v, ok)
	} else {
		in.note("cut to %d B, lp.truncated=true, %s=1", inputMaxLine, series)
	}
}

// checkEmpty: an empty file is no error: no log line names it.
func checkEmpty(t *testing.T, s *stack, ins []*badInput) {
	in := findInput(ins, "empty file")
	b, err := os.ReadFile(s.agent.log)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(line, "empty.log") {
			in.problem("the agent logged %q", shorten(line, 160))
		}
	}
	in.note("no warning or error, no document; its task's other files shipped")
}

// checkMany notes what 2000 files cost the agent. The suite runs without
// harvester_limit (0, no cap, Filebeat's default too), so each matched file
// holds a descriptor and its goroutines until close_inactive: noted, and
// TestHarvesterLimit (logagent) proves the cap. Read buffers are bounded (at
// most 16 harvesters read at once) and idle polls back off; memory or idle
// CPU over the bounds below is a defect, failing under CHAOS_DEFECTS=1.
func checkMany(ins []*badInput, peakFDs, baseFDs int, peakRSS, cpu, idlePct float64) {
	in := findInput(ins, fmt.Sprintf("%d files, one glob", manyFiles))
	in.note("agent peak %d fds (%d before), peak RSS %.0f MB, %.1f CPU-s while shipping, %.0f%% CPU idle with them open",
		peakFDs, baseFDs, peakRSS, cpu, idlePct)
	if peakFDs-baseFDs >= manyFiles {
		in.note("no cap on open files with harvester_limit = 0 (the default); each file keeps its fd until close_inactive")
	}
	if peakRSS > maxManyRSSMB {
		// Measured: 277-291 MB with a read buffer per file; 96 MB once
		// reads were bounded to 32 at a time.
		in.defect("RSS %.0f MB > %d MB: memory per open file (a 128 KiB read buffer each, framer, goroutines) is outside max_inflight_bytes", peakRSS, maxManyRSSMB)
	}
	if idlePct > maxManyIdlePct {
		in.defect("idle CPU %.0f%% > %d%%: every scan stats every file, every harvester re-arms its inotify watch and re-checks each poll_interval", idlePct, maxManyIdlePct)
	}
}

// maxManyRSSMB bounds the agent's resident memory while it has the many
// files open: twice the bench's target with the broker down (64 MB).
const maxManyRSSMB = 128

// maxManyIdlePct bounds the agent's CPU, in percent of a core, while the
// many files are open and none grows (scan_frequency 100ms, poll_interval
// 50ms in the suite's ini).
const maxManyIdlePct = 25

func findInput(ins []*badInput, name string) *badInput {
	for _, in := range ins {
		if in.name == name {
			return in
		}
	}
	panic("no input " + name)
}

// iniTypoInputs starts each daemon binary with its stack ini file plus one
// misspelt key: it must exit non-zero at once, naming section.key.
func iniTypoInputs(t *testing.T, s *stack) []*badInput {
	var out []*badInput
	for _, c := range []struct {
		daemon, section, key string
		ini                  string
	}{
		{"logagent", "agent", "scan_frequncy", s.agent.ini},
		{"logtransfer", "elasticsearch", "flush_intervall", s.transfer.ini},
	} {
		in := &badInput{name: "ini typo: " + c.daemon, files: map[string][]string{}}
		out = append(out, in)
		// The daemon's own ini, whatever the stack named it: guessing the
		// file name broke once when the stack renamed the transfer's.
		body, err := os.ReadFile(c.ini)
		if err != nil {
			t.Fatal(err)
		}
		head := "[" + c.section + "]\n"
		typo := strings.Replace(string(body), head, head+c.key+" = 1s\n", 1)
		path := filepath.Join(s.dir, c.daemon+"-typo.ini")
		if err := os.WriteFile(path, []byte(typo), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		outb, err := exec.CommandContext(ctx, filepath.Join(bins, c.daemon), "-config", path).CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		want := c.section + "." + c.key + ": unknown key"
		var exit *exec.ExitError
		switch {
		case timedOut:
			in.problem("still running after 15s: the typo did not stop it")
		case !errors.As(err, &exit):
			in.problem("exited %v, want a non-zero exit status", err)
		case !strings.Contains(string(outb), want):
			in.problem("output lacks %q: %q", want, shorten(string(outb), 200))
		default:
			in.note("exit %d: %q", exit.ExitCode(), want)
		}
	}
	return out
}
