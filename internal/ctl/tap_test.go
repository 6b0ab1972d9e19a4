package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestTap samples a topic of the secured cluster, with and without a
// route, and stops on its limit.
func TestTap(t *testing.T) {
	s := newSecured(t)
	s.produce("mglogs", 5)
	s.secureOK("route", "add", "mglogs", "--topic", "mglogs", "--index", "mglogs-{yyyy.MM}")

	out := s.secureOK("tap", "mglogs", "--from", "oldest", "--limit", "3")
	if n := strings.Count(out, "\n  value: secure line "); n != 3 {
		t.Errorf("tap --limit 3 printed %d records:\n%s", n, out)
	}
	mustContain(t, out, "lp.id: web-1-file-1-", "lp.host: web-1", "lp.path: /var/log/app.log")

	out = s.secureOK("tap", "--route", "mglogs", "--from", "oldest", "--limit", "5", "-o", "json")
	dec := json.NewDecoder(strings.NewReader(out))
	ids := map[string]bool{}
	for dec.More() {
		var r tapped
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("tap -o json: %v\n%s", err, out)
		}
		d := r.Document
		if d == nil || d.ID != r.Headers["lp.id"] || !strings.HasPrefix(d.Index, "mglogs-") || !strings.Contains(string(d.Body), r.Value) {
			t.Errorf("record %s/%d@%d became %+v", r.Topic, r.Partition, r.Offset, d)
			continue
		}
		ids[d.ID] = true
	}
	if len(ids) != 5 {
		t.Errorf("tap --route showed %d distinct documents, want 5:\n%s", len(ids), out)
	}
	if n := s.es.Count("mglogs-*"); n != 0 {
		t.Errorf("tap indexed %d documents", n)
	}

	r := s.run("tap", "no-such-topic", "--limit", "1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "no-such-topic: kafka server: Request was for a topic or partition that does not exist") {
		t.Errorf("tap of a missing topic: exit %d, %q", r.code, r.stderr)
	}
	if out := s.secureOK("check"); !strings.Contains(out, "kafka ") || strings.Contains(out, "no-such-topic") {
		t.Errorf("check after tapping a missing topic:\n%s", out)
	}
	cl, err := kgo.NewClient(s.kgoOpts()...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl) // every topic
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range meta.Topics {
		if tp.Topic != nil && *tp.Topic == "no-such-topic" {
			t.Errorf("tap created the topic it was asked about")
		}
	}

	r = s.run("tap", "--route", "nope")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "no key /logtransfer/routes/nope") {
		t.Errorf("tap of a missing route: exit %d, %q", r.code, r.stderr)
	}
}

// TestTapFollowsAndStopsOnCancel taps from newest, sees a record written
// after it started, and ends cleanly (exit 0, summary) when its context
// ends, as on Ctrl-C.
func TestTapFollowsAndStopsOnCancel(t *testing.T) {
	s := newSecured(t)
	s.produce("live", 1) // creates the topic
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout, stderr := &devstack.SyncBuffer{}, &devstack.SyncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"tap", "live", "--limit", "0"}, stdout, stderr, func(k string) string { return s.env[k] })
	}()
	devstack.WaitFor(t, 10*time.Second, "tap to start", func() bool { return strings.Contains(stderr.String(), "Ctrl-C stops") })
	s.produce("live", 1)
	devstack.WaitFor(t, 10*time.Second, "the new record", func() bool { return strings.Contains(stdout.String(), "secure line 0") })
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("tap stopped by its context: exit %d\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tap did not stop on cancel")
	}
	mustContain(t, stderr.String(), "tapped 1 record(s)")
	if strings.Count(stdout.String(), "value:") != 1 {
		t.Errorf("tap from newest showed an old record:\n%s", stdout.String())
	}
}

// TestTapRate bounds what tap prints: at --rate 1 a burst shows one record
// and skips the rest, and two records take at least a second.
func TestTapRate(t *testing.T) {
	s := newSecured(t)
	s.produce("burst", 5)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	wg.Add(1)
	go func() { // keep records coming, so the second one is printed
		defer wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				s.produceQuiet("burst")
			}
		}
	}()
	start := time.Now()
	r := s.run("tap", "burst", "--from", "oldest", "--rate", "1", "--limit", "2")
	took := time.Since(start)
	if r.code != ExitOK {
		t.Fatalf("tap --rate: exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "value:"); n != 2 {
		t.Errorf("tap --rate 1 --limit 2 printed %d records", n)
	}
	if took < time.Second {
		t.Errorf("two records at --rate 1 took %s", took)
	}
	var shown, skipped int
	if _, err := fmt.Sscanf(r.stderr[strings.Index(r.stderr, "tapped "):], "tapped %d record(s), skipped %d", &shown, &skipped); err != nil || skipped < 1 {
		t.Errorf("tap --rate 1 over a burst skipped %d (%v):\n%s", skipped, err, r.stderr)
	}
}

func TestHasFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"--route", "mg"}, true},
		{[]string{"-route=mg", "--limit", "1"}, true},
		{[]string{"route"}, false}, // a topic named route
		{[]string{"mglogs", "--", "--route"}, false},
		{[]string{"--router", "x"}, false},
	} {
		if got := hasFlag(tt.args, "route"); got != tt.want {
			t.Errorf("hasFlag(%q, route) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
