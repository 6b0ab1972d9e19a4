package logtransfer

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
)

// lineCounter passes log lines on to w and counts those at WARN and above.
type lineCounter struct {
	w      io.Writer
	warn   atomic.Int64
	lines  atomic.Int64
	reason atomic.Int64 // lines naming the route in trouble
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines.Add(1)
	if bytes.Contains(p, []byte("level=WARN")) || bytes.Contains(p, []byte("level=ERROR")) {
		c.warn.Add(1)
		if bytes.Contains(p, []byte("route=stuck")) {
			c.reason.Add(1)
		}
	}
	return c.w.Write(p)
}

// esCall sends one request to the stand-in and fails the test unless it
// answers 200.
func (e *env) esCall(method, path, body string) {
	e.t.Helper()
	if code, resp := devstack.HTTPSend(e.t, method, e.es.URL()+path, body); code != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, code, resp)
	}
}

func routeStatus(st Status, name string) (RouteStatus, bool) {
	for _, r := range st.Routes {
		if r.Name == name {
			return r, true
		}
	}
	return RouteStatus{}, false
}

// TestBlockedIndexStallsOnlyItsRoute: a route whose index refuses writes
// (write block 403, disk flood-stage block 429, closed index 400) holds only
// its own share of the budget and none of the bulk workers: another route
// indexes its whole backlog meanwhile. The stuck route commits nothing,
// dead-letters nothing, shows failing with Elasticsearch's reason in the
// status key, /readyz and the state gauge, logs a bounded number of lines,
// and once the block is lifted indexes every record once and commits.
func TestBlockedIndexStallsOnlyItsRoute(t *testing.T) {
	const nStuck, nLive = 600, 2000
	for _, tt := range []struct {
		name        string
		block, lift [3]string // method, path, body
		reason      string
	}{
		{"write block", [3]string{"PUT", "/stuck/_settings", `{"index.blocks.write":true}`},
			[3]string{"PUT", "/stuck/_settings", `{"index.blocks.write":null}`}, "FORBIDDEN/8/index write (api)"},
		{"flood-stage block", [3]string{"PUT", "/stuck/_settings", `{"index.blocks.read_only_allow_delete":true}`},
			[3]string{"PUT", "/_all/_settings", `{"index.blocks.read_only_allow_delete":null}`}, "TOO_MANY_REQUESTS/12/disk usage exceeded"},
		{"closed index", [3]string{"POST", "/stuck/_close", ""},
			[3]string{"POST", "/stuck/_open", ""}, "index_closed_exception"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.esCall("PUT", "/stuck", "")
			e.esCall(tt.block[0], tt.block[1], tt.block[2])
			e.put(RouteKey("stuck"), `{"topic":"stuck","index":"stuck"}`)
			e.put(RouteKey("live"), `{"topic":"live"}`)
			e.produce("stuck", "s", 0, nStuck, time.Time{})
			cfg := e.config("t1")
			cfg.Transfer.MaxInflightBytes = 256 << 10
			logs := &lineCounter{w: devstack.TestLog{TB: t}}
			tr := e.startLogging(cfg, logs)

			devstack.WaitFor(t, 20*time.Second, "stuck route failing in the status key", func() bool {
				st, ok := e.status("t1")
				r, found := routeStatus(st, "stuck")
				return ok && found && r.State == conf.StateFailing && strings.Contains(r.Reason, tt.reason)
			})
			start := time.Now()
			e.produce("live", "l", 0, nLive, time.Time{})
			devstack.WaitFor(t, 30*time.Second, "the live route's backlog indexed", func() bool { return e.count("live-*") == nLive })
			took := time.Since(start)
			t.Logf("live route: %d records in %s (%.0f/s) beside the stuck route", nLive, took.Round(time.Millisecond), nLive/took.Seconds())
			devstack.WaitFor(t, 10*time.Second, "live offsets committed", func() bool { return e.committed("lt-live", "live") == nLive })

			st, _ := e.status("t1")
			if r, _ := routeStatus(st, "live"); r.State != conf.StateRunning {
				t.Errorf("live route = %+v, want running", r.Health)
			}
			if got := e.committed("lt-stuck", "stuck"); got != 0 {
				t.Fatalf("stuck route committed %d offsets while its index refused writes", got)
			}
			if n := e.es.Count("stuck"); n != 0 {
				t.Fatalf("stuck index has %d documents while blocked", n)
			}
			code, body := devstack.HTTPGet("http://" + tr.HTTPAddr() + "/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "route stuck: failing since") || !strings.Contains(body, tt.reason) {
				t.Errorf("/readyz = %d %q, want 503 naming the stuck route and its reason", code, body)
			}
			_, metrics := devstack.HTTPGet("http://" + tr.HTTPAddr() + "/metrics")
			for _, want := range []string{`logtransfer_route_state{route="stuck",state="failing"} 1`, `logtransfer_route_state{route="live",state="running"} 1`} {
				if !strings.Contains(metrics, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}

			e.esCall(tt.lift[0], tt.lift[1], tt.lift[2])
			devstack.WaitFor(t, 30*time.Second, "stuck backlog indexed after the lift", func() bool { return e.es.Count("stuck") == nStuck })
			devstack.WaitFor(t, 10*time.Second, "stuck offsets committed", func() bool { return e.committed("lt-stuck", "stuck") == nStuck })
			devstack.WaitFor(t, 10*time.Second, "stuck route running again", func() bool {
				st, _ := e.status("t1")
				r, _ := routeStatus(st, "stuck")
				return r.State == conf.StateRunning
			})
			if n := e.es.Count("stuck"); n != nStuck {
				t.Fatalf("stuck index has %d documents, want exactly %d", n, nStuck)
			}
			if _, metrics := devstack.HTTPGet("http://" + tr.HTTPAddr() + "/metrics"); strings.Contains(metrics, `logtransfer_documents_dead_lettered_total{route="stuck"}`) {
				t.Fatal("stuck records dead-lettered: index-level refusals must not be")
			}
			t.Logf("log lines: %d in all, %d at WARN or above, %d of them about the stuck route",
				logs.lines.Load(), logs.warn.Load(), logs.reason.Load())
			if n := logs.reason.Load(); n > 3 {
				t.Errorf("%d WARN/ERROR lines about the stuck route, want at most 3 (one per reason per interval)", n)
			}
			if n := logs.warn.Load(); n > 10 {
				t.Errorf("%d WARN/ERROR lines, want at most 10", n)
			}
		})
	}
}
