package logtransfer

import (
	"github.com/logpipe/logpipe/internal/devstack"
	"strings"
	"testing"
	"time"
)

// TestRoutesHotReload: routes are added, changed and removed without a
// restart, and a malformed edit is refused with its key and reason in the
// status key while the old version keeps indexing.
func TestRoutesHotReload(t *testing.T) {
	e := newEnv(t)
	e.put(RouteKey("web"), `{"topic":"web"}`)
	tr := e.start(e.config("t1"))
	e.produce("web", "w", 0, 50, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "web documents", func() bool { return e.count("web-*") == 50 })

	// Add a route: it starts; web is untouched.
	e.put(RouteKey("api"), `{"topic":"api","index":"api-{yyyy.MM}"}`)
	e.produce("api", "p", 0, 30, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "api documents", func() bool { return e.count("api-*") == 30 })

	// A malformed edit of web: rejected, reported, old version still runs.
	e.put(RouteKey("web"), `{"topic":"web","format":"yaml"}`)
	devstack.WaitFor(t, 10*time.Second, "rejection in status", func() bool {
		st, ok := e.status("t1")
		return ok && len(st.Rejected) == 1 && st.Rejected[0].Key == RouteKey("web") &&
			strings.Contains(st.Rejected[0].Reason, "format")
	})
	e.produce("web", "w", 50, 50, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "web keeps indexing", func() bool { return e.count("web-*") == 100 })

	// Change web's index: it restarts from its committed offsets.
	e.put(RouteKey("web"), `{"topic":"web","index":"weblogs-{yyyy}"}`)
	devstack.WaitFor(t, 10*time.Second, "change applied", func() bool {
		st, ok := e.status("t1")
		return ok && len(st.Rejected) == 0 && len(st.Routes) == 2 && st.Routes[1].Route.Index == "weblogs-{yyyy}"
	})
	e.produce("web", "w", 100, 20, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "new index used", func() bool { return e.count("weblogs-*") == 20 })
	if got := e.count("web-*"); got != 100 {
		t.Fatalf("old index has %d documents, want 100 (nothing re-indexed)", got)
	}

	// Remove api: it stops; nothing more is indexed from its topic.
	if _, err := e.cli.Delete(t.Context(), RouteKey("api")); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 10*time.Second, "api removed", func() bool {
		st, ok := e.status("t1")
		return ok && len(st.Routes) == 1 && st.Routes[0].Name == "web"
	})
	devstack.WaitFor(t, 10*time.Second, "the removed route's state series deleted", func() bool {
		_, m := devstack.HTTPGet("http://" + tr.HTTPAddr() + "/metrics")
		return !strings.Contains(m, `logtransfer_route_state{route="api"`) && strings.Contains(m, `logtransfer_route_state{route="web",state="running"} 1`)
	})
	e.produce("api", "p", 30, 10, time.Time{})
	e.produce("web", "w", 120, 10, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "web still indexing", func() bool { return e.count("weblogs-*") == 30 })
	if got := e.count("api-*"); got != 30 {
		t.Fatalf("removed route indexed: %d api documents, want 30", got)
	}
}
