package logtransfer

import (
	"github.com/logpipe/logpipe/internal/devstack"
	"log/slog"
	"net/http"
	"testing"
	"time"
)

// TestReplay: replaying an indexed window adds no document; replaying it
// after its index was deleted restores every document. Records outside the
// window are not read.
func TestReplay(t *testing.T) {
	e := newEnv(t)
	const n = 120
	day := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	e.produce("mglogs", "old", 0, 40, day.Add(-2*time.Hour)) // before the window
	e.produce("mglogs", "in", 0, n, day)
	e.produce("mglogs", "late", 0, 40, day.Add(2*time.Hour)) // after it
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	tr := e.start(e.config("t1"))
	devstack.WaitFor(t, 30*time.Second, "all indexed", func() bool { return e.count("mglogs-*") == n+80 })
	tr.stop(t)

	cfg := e.config("replay")
	opts := ReplayOptions{Route: "mglogs", From: day.Add(-time.Minute), To: day.Add(time.Minute)}
	log := slog.New(slog.NewTextHandler(devstack.TestLog{TB: t}, nil))
	res, err := Replay(t.Context(), cfg, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 0 || res.Duplicates != n || res.Read != n {
		t.Fatalf("replay over an indexed window: %s, want read=%d created=0 duplicates=%d", res, n, n)
	}

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, e.es.URL()+"/mglogs-*", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if e.count("mglogs-*") != 0 {
		t.Fatal("index not deleted")
	}
	opts.RouteJSON = `{"topic":"mglogs"}` // offline: the route is not read from etcd
	res, err = Replay(t.Context(), cfg, opts, log)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != n || e.count("mglogs-*") != n {
		t.Fatalf("replay over a deleted index: %s, %d documents; want created=%d", res, e.count("mglogs-*"), n)
	}
	if got := e.committed("lt-replay", "mglogs"); got != 0 {
		t.Fatalf("replay committed offsets: %d", got)
	}
}
