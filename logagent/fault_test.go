package logagent

import (
	"context"
	"fmt"
	"github.com/logpipe/logpipe/internal/devstack"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestBrokerDownLosesNothingAndMemoryStaysBounded stops the Kafka broker while
// lines keep being written: reading must pause at the in-flight budget (the
// files are the buffer) and every line must arrive once the broker is back.
func TestBrokerDownLosesNothingAndMemoryStaysBounded(t *testing.T) {
	e := newEnv(t)
	cfg := e.config()
	cfg.Agent.MaxInflightBytes = 256 << 10
	e.putTask("agent-1", "k", Task{Path: join(e.logs, "*.log"), Topic: "outage"})
	a := e.start(cfg)
	want := writeLines(t, join(e.logs, "k.log"), "k", 0, 1000)
	e.readDistinct("outage", 1000, 20*time.Second)

	e.kafka.Stop()
	// ~2.4 MB written while the broker is down: ten times the budget.
	want = append(want, writeLines(t, join(e.logs, "k.log"), "k", 1000, 30000)...)
	peak := int64(0)
	devstack.WaitFor(t, 10*time.Second, "reading to stall at the budget", func() bool {
		peak = max(peak, a.budget.InUse())
		return a.budget.InUse() > cfg.Agent.MaxInflightBytes/2
	})
	// While down, in-flight stays within the budget (plus one record that
	// may be let through when nothing else is in flight).
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		peak = max(peak, a.budget.InUse())
		time.Sleep(10 * time.Millisecond)
	}
	if limit := cfg.Agent.MaxInflightBytes + 4096; peak > limit {
		t.Errorf("in-flight bytes peaked at %d, budget %d", peak, cfg.Agent.MaxInflightBytes)
	}
	t.Logf("peak in-flight bytes while broker down: %d (budget %d)", peak, cfg.Agent.MaxInflightBytes)

	if err := e.kafka.Restart(); err != nil {
		t.Fatal(err)
	}
	recs := e.readDistinct("outage", 31000, 90*time.Second)
	// Order: a partition's failed batch is retried before anything after
	// it, so the file's lines reach Kafka in order across the outage.
	dups, disorder := verifyLoose(t, recs, map[string][]string{"k": want})
	if disorder > 0 {
		t.Errorf("%d lines reached Kafka after a later line of their file", disorder)
	}
	t.Logf("after outage: %d records, %d duplicates in Kafka (collapsed downstream by lp.id), %d first arrivals out of order", len(recs), dups, disorder)
}

// TestKilledAgentLosesNothing runs the real logagent binary, kills it with
// SIGKILL while it ships a growing file, restarts it, and checks every line
// arrived: positions only ever hold acked offsets.
func TestKilledAgentLosesNothing(t *testing.T) {
	e := newEnv(t)
	bin := filepath.Join(t.TempDir(), "logagent")
	build := exec.Command("go", "build", "-o", bin, "../cmd/logagent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building logagent: %v\n%s", err, out)
	}
	ini := filepath.Join(t.TempDir(), "logagent.ini")
	if err := os.WriteFile(ini, []byte(fmt.Sprintf(`[agent]
id = killed
state_dir = %s
scan_frequency = 100ms
poll_interval = 50ms
save_interval = 100ms
[etcd]
endpoints = %s
[kafka]
brokers = %s
linger = 5ms
[http]
listen = 127.0.0.1:0
[log]
level = warn
`, e.state, e.etcd.Endpoint(), e.kafka.Addrs()[0])), 0o600); err != nil {
		t.Fatal(err)
	}
	e.putTask("killed", "k", Task{Path: join(e.logs, "*.log"), Topic: "killed"})
	run := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", ini)
		cmd.Stderr = devstack.TestLog{TB: t}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	const total = 40000
	var want []string
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; i < total; i += 500 {
			want = append(want, writeLines(t, join(e.logs, "k.log"), "k", i, 500)...)
			time.Sleep(5 * time.Millisecond) // a steady writer, not a race helper
		}
	}()
	for kill := range 3 {
		cmd := run()
		// Kill once some new lines have been acked, mid-file.
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		target := (kill + 1) * 5000
		_, err := readUntilDistinct(ctx, e, "killed", target)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	<-writerDone
	cmd := run()
	recs := e.readDistinct("killed", total, 60*time.Second)
	dups := verify(t, recs, map[string][]string{"k": want})
	t.Logf("3 SIGKILLs: %d lines, 0 missing, %d re-sent duplicates in Kafka", total, dups)
	// A copy re-sent after a SIGKILL carries the lp.ts of the first: the
	// line's time anchor was on disk before the first copy was sent, so
	// both target the same daily index (anchors.go).
	firstTS, changed := map[string]string{}, 0
	for _, r := range recs {
		id := r.Headers[hdrID]
		if ts, ok := firstTS[id]; !ok {
			firstTS[id] = r.Headers[hdrTS]
		} else if ts != r.Headers[hdrTS] {
			changed++
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d re-sent records carry another lp.ts than their first copy", changed, dups)
	}

	// SIGTERM: drain, save the final position, exit 0.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	fi, err := os.Stat(join(e.logs, "k.log"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := loadPositions(filepath.Join(e.state, positionsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range reg.entries {
		if p.Offset != fi.Size() {
			t.Errorf("saved position %d after SIGTERM, file size %d", p.Offset, fi.Size())
		}
	}
}

// TestOverlongLineTruncatedAndCounted: a 3 MB line is cut at max_line_bytes,
// flagged lp.truncated and counted; the lines around it are intact.
func TestOverlongLineTruncatedAndCounted(t *testing.T) {
	e := newEnv(t)
	e.putTask("agent-1", "long", Task{Path: join(e.logs, "*.log"), Topic: "long", MaxLineBytes: 1000})
	a := e.start(e.config())
	p := join(e.logs, "l.log")
	want := writeLines(t, p, "l", 0, 1)
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = 'x'
	}
	f.Write(append(big, '\n'))
	f.Close()
	want = append(want, writeLines(t, p, "l", 2, 1)...)
	recs := e.readDistinct("long", 3, 20*time.Second)
	verifyLoose(t, recs, map[string][]string{"l": want})
	var cut int
	for _, r := range recs {
		if r.Headers[hdrTruncated] == "true" {
			cut++
			if len(r.Value) != 1000 {
				t.Errorf("truncated value is %d bytes, want 1000", len(r.Value))
			}
		}
	}
	if cut != 1 {
		t.Errorf("%d records flagged truncated, want 1", cut)
	}
	if got := testutilCounter2(a.metrics.Truncated, "long"); got != 1 {
		t.Errorf("logagent_lines_truncated_total = %v, want 1", got)
	}
}
