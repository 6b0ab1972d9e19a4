package logtransfer

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// TestEveryRecordOnce: N records become exactly N documents, and the same
// N records delivered again (a producer retry, a replayed topic) add none.
// Offsets are committed for all of them.
func TestEveryRecordOnce(t *testing.T) {
	e := newEnv(t)
	const n = 400
	e.produce("mglogs", "a", 0, n, time.Time{})
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	e.start(e.config("t1"))
	devstack.WaitFor(t, 30*time.Second, "N documents", func() bool { return e.count("mglogs-*") == n })
	devstack.WaitFor(t, 10*time.Second, "offsets of N committed", func() bool { return e.committed("lt-mglogs", "mglogs") == n })

	e.produce("mglogs", "a", 0, n, time.Time{}) // the same ids again
	devstack.WaitFor(t, 30*time.Second, "duplicates seen", func() bool { return e.es.Stats().Conflicts >= n })
	devstack.WaitFor(t, 10*time.Second, "offsets of 2N committed", func() bool { return e.committed("lt-mglogs", "mglogs") == 2*n })
	if got := e.count("mglogs-*"); got != n {
		t.Fatalf("documents = %d, want %d", got, n)
	}
}

// TestOutageCommitsNothingUntilRecovery: through a 429 storm and then
// Elasticsearch going away, no record is dropped and no offset is
// committed before its document exists; after Restart everything lands.
func TestOutageCommitsNothingUntilRecovery(t *testing.T) {
	e := newEnv(t)
	const n = 300
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	e.es.FailNextBulks(5, 429)
	tr := e.start(e.config("t1"))
	e.produce("mglogs", "a", 0, n, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "N documents after the 429 storm", func() bool { return e.count("mglogs-*") == n })
	if e.es.Stats().FailedBulks != 5 {
		t.Fatalf("failed bulks = %d, want 5", e.es.Stats().FailedBulks)
	}
	devstack.WaitFor(t, 10*time.Second, "offsets committed", func() bool { return e.committed("lt-mglogs", "mglogs") == n })

	e.es.Close() // connection refused from now on
	e.produce("mglogs", "b", 0, n, time.Time{})
	devstack.WaitFor(t, 20*time.Second, "records in flight while ES is down", func() bool { return tr.budget.InUse() > 0 })
	time.Sleep(500 * time.Millisecond) // five commit intervals: a commit would show
	if got := e.committed("lt-mglogs", "mglogs"); got != n {
		t.Fatalf("committed %d offsets while Elasticsearch was down, want %d", got, n)
	}
	e.es.FailNextBulks(3, 503)
	if err := e.es.Restart(); err != nil {
		t.Fatal(err)
	}
	devstack.WaitFor(t, 30*time.Second, "2N documents after recovery", func() bool { return e.count("mglogs-*") == 2*n })
	devstack.WaitFor(t, 10*time.Second, "2N offsets committed", func() bool { return e.committed("lt-mglogs", "mglogs") == 2*n })
}

// TestPoisonRecordDeadLettered: a document Elasticsearch refuses goes to
// <topic>.dlq with its reason, and the rest of its partition is indexed
// and committed past it.
func TestPoisonRecordDeadLettered(t *testing.T) {
	e := newEnv(t)
	const n = 100
	e.es.RejectDocs(func(_ string, doc map[string]any) (string, bool) {
		return "failed to parse field [status] of type [keyword]", strings.HasSuffix(fmt.Sprint(doc["message"]), "line=000042")
	})
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	e.start(e.config("t1"))
	e.produce("mglogs", "a", 0, n, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "N-1 documents", func() bool { return e.count("mglogs-*") == n-1 })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	recs, err := devstack.ReadAll(ctx, e.kafka.Addrs(), "mglogs.dlq", 1)
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if r.Value != "a line=000042" || !strings.Contains(r.Headers[hdrDLQReason], "mapper_parsing_exception") ||
		r.Headers[hdrDLQIndex] == "" || !strings.HasPrefix(r.Headers[hdrDLQSource], "mglogs/") || r.Headers[hdrID] == "" {
		t.Fatalf("dead letter = %+v", r)
	}
	devstack.WaitFor(t, 10*time.Second, "all N offsets committed", func() bool { return e.committed("lt-mglogs", "mglogs") == n })
}

// TestRebalanceMidStream: a second instance joins the group while records
// flow and the first leaves; every record ends up as exactly one document.
func TestRebalanceMidStream(t *testing.T) {
	e := newEnv(t)
	const n = 600
	e.put(RouteKey("mglogs"), `{"topic":"mglogs"}`)
	e.es.SetDelay(5 * time.Millisecond) // keep bulks in flight across the rebalance
	a := e.start(e.config("t1"))
	e.produce("mglogs", "a", 0, n/3, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "first documents", func() bool { return e.count("mglogs-*") > 0 })
	b := e.start(e.config("t2"))
	e.produce("mglogs", "a", n/3, n/3, time.Time{})
	devstack.WaitFor(t, 30*time.Second, "both instances own partitions", func() bool {
		sa, okA := e.status("t1")
		sb, okB := e.status("t2")
		return okA && okB && len(sa.Routes) == 1 && len(sb.Routes) == 1 &&
			len(sa.Routes[0].Partitions) > 0 && len(sb.Routes[0].Partitions) > 0
	})
	a.stop(t)
	e.produce("mglogs", "a", 2*n/3, n/3, time.Time{})
	devstack.WaitFor(t, 60*time.Second, "N documents", func() bool { return e.count("mglogs-*") == n })
	devstack.WaitFor(t, 20*time.Second, "N offsets committed", func() bool { return e.committed("lt-mglogs", "mglogs") == n })
	_ = b
}
