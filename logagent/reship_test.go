package logagent

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// lineOffsets returns where each line starts in a file of lines.
func lineOffsets(lines []string) []int64 {
	out := make([]int64, len(lines)+1)
	for i, l := range lines {
		out[i+1] = out[i] + int64(len(l)) + 1
	}
	return out
}

// waitSaved waits until the agent's registry holds path's position at size.
func waitSaved(t *testing.T, a *runningAgent, path string, size int64) {
	t.Helper()
	devstack.WaitFor(t, 10*time.Second, "position saved at the end of "+path, func() bool {
		a.pos.mu.Lock()
		defer a.pos.mu.Unlock()
		for _, e := range a.pos.entries {
			if e.Path == path && e.Offset == size {
				return true
			}
		}
		return false
	})
}

// reshipsOf reads /status/reships.
func reshipsOf(t *testing.T, a *runningAgent) map[string]ReshipStatus {
	t.Helper()
	resp, err := http.Get("http://" + a.HTTPAddr() + "/status/reships")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []ReshipStatus
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	out := map[string]ReshipStatus{}
	for _, r := range list {
		out[r.Name] = r
	}
	return out
}

// waitReship waits until the status key shows reship name in a final state.
func (e *env) waitReship(name string) ReshipSummary {
	e.t.Helper()
	var got ReshipSummary
	devstack.WaitFor(e.t, 20*time.Second, "reship "+name+" finished in the status key", func() bool {
		st, _ := e.status("agent-1")
		for _, r := range st.Reships {
			if r.Name == name && r.State != ReshipRunning {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

func (e *env) putReship(name string, r Reship) {
	e.t.Helper()
	b, _ := json.Marshal(r)
	e.put(ReshipKey("agent-1", name), string(b))
}

// TestReshipRange: a byte range shipped before is sent again to a fresh
// topic with the ids, lp.ts, path and key of its first sending: the
// range's lines (from a cut inside a line moved to the next line; to cut
// inside a line keeps that line), no other.
func TestReshipRange(t *testing.T) {
	e := newEnv(t)
	path := join(e.logs, "app.log")
	lines := writeLines(t, path, "app", 0, 100)
	offs := lineOffsets(lines)
	e.putTask("agent-1", "app", Task{Path: path, Topic: "orig"})
	cfg := e.config()
	cfg.Agent.AllowedPaths = []string{e.logs}
	cfg.Agent.CloseInactive = 300 * time.Millisecond // its end trims the last anchor's reservation
	a := e.start(cfg)
	orig := map[string]devstack.Record{}
	for _, r := range e.readDistinct("orig", 100, 20*time.Second) {
		orig[r.Headers[hdrID]] = r
	}
	waitSaved(t, a, path, offs[100])

	e.putReship("r1", Reship{Path: path, From: offs[30] - 3, To: offs[70] - 1, Topic: "fresh"})
	if s := e.waitReship("r1"); s.State != ReshipDone || s.Sent != 40 || s.Acked != 40 {
		t.Fatalf("reship summary %+v, want done with 40 lines sent and acked", s)
	}
	got := e.readDistinct("fresh", 40, 10*time.Second)
	checkReshipped(t, got, orig, offs[30:70], func(o, r devstack.Record) bool { return o.Headers[hdrTS] == r.Headers[hdrTS] })
	st := reshipsOf(t, a)["r1"]
	if st.From != offs[30] || st.To != offs[70]-1 || st.AckedOffset != offs[70] || st.TSAnchored != 40 {
		t.Errorf("reship status %+v: want from %d, to %d, acked %d, 40 lines stamped by anchors", st, offs[30], offs[70]-1, offs[70])
	}

	// Once the saved position passed them, the anchors are pruned: lp.ts
	// then comes from the audit ledger, exact to the hour (the daily index).
	devstack.WaitFor(t, 10*time.Second, "anchors pruned below the saved position", func() bool {
		if err := a.pos.anchors.flush(); err != nil {
			t.Fatal(err)
		}
		a.pos.anchors.mu.Lock()
		defer a.pos.anchors.mu.Unlock()
		return len(a.pos.anchors.files) == 0
	})
	e.putReship("r2", Reship{Path: path, From: offs[30], To: offs[70], Topic: "fresh2"})
	if s := e.waitReship("r2"); s.State != ReshipDone || s.Acked != 40 {
		t.Fatalf("reship summary %+v, want done with 40 lines acked", s)
	}
	checkReshipped(t, e.readDistinct("fresh2", 40, 10*time.Second), orig, offs[30:70], func(o, r devstack.Record) bool {
		ots, _ := strconv.ParseInt(o.Headers[hdrTS], 10, 64)
		return r.Headers[hdrTS] == strconv.FormatInt(hourOf(ots/1000)*1000, 10)
	})
	if st := reshipsOf(t, a)["r2"]; st.TSHourly != 40 {
		t.Errorf("reship status %+v: want 40 lines stamped by the audit hours", st)
	}

	// A restarted agent does not run a finished reship again while its key
	// stays; a changed one runs.
	a.stop(t)
	a = e.start(cfg)
	devstack.WaitFor(t, 10*time.Second, "the restarted agent's reships", func() bool {
		st := reshipsOf(t, a)
		return strings.Contains(st["r1"].Reason, "not run again") && strings.Contains(st["r2"].Reason, "not run again")
	})
	if st := reshipsOf(t, a)["r1"]; st.State != ReshipDone || st.Acked != 40 {
		t.Errorf("r1 after a restart: %+v, want its result kept", st)
	}
	e.putReship("r1", Reship{Path: path, From: offs[30], To: offs[31], Topic: "fresh3"})
	checkReshipped(t, e.readDistinct("fresh3", 1, 10*time.Second), orig, offs[30:31], func(o, r devstack.Record) bool { return true })
}

// checkReshipped checks that got holds exactly the lines starting at offs,
// each with the id, value, key, path and offset it was first sent with
// (orig, by id), and a time sameTS accepts.
func checkReshipped(t *testing.T, got []devstack.Record, orig map[string]devstack.Record, offs []int64,
	sameTS func(o, r devstack.Record) bool) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range got {
		id := r.Headers[hdrID]
		o, ok := orig[id]
		switch {
		case !ok:
			t.Errorf("reshipped id %s was never shipped", id)
		case o.Value != r.Value || o.Key != r.Key:
			t.Errorf("id %s: value/key %q/%q, first sent %q/%q", id, r.Value, r.Key, o.Value, o.Key)
		case !sameTS(o, r) || o.Headers[hdrPath] != r.Headers[hdrPath]:
			t.Errorf("id %s: headers %v, first sent %v", id, r.Headers, o.Headers)
		}
		seen[id] = true
	}
	if len(seen) != len(offs) || len(got) != len(offs) {
		t.Errorf("topic holds %d records, %d ids; want %d", len(got), len(seen), len(offs))
	}
	for _, o := range offs {
		off := strconv.FormatInt(o, 10)
		found := false
		for _, r := range got {
			found = found || strings.HasSuffix(r.Headers[hdrID], "-"+off)
		}
		if !found {
			t.Errorf("line at offset %s not reshipped", off)
		}
	}
}

// TestReshipStuckDoesNotStopTasks: a reship whose topic does not exist
// (on a cluster that does not create topics) waits in its own unit: the
// live task keeps shipping new lines meanwhile, and once the topic exists
// the reship sends its whole range.
func TestReshipStuckDoesNotStopTasks(t *testing.T) {
	e := newEnvWith(t, devstack.NewKafkaManualTopics)
	if err := e.kafka.CreateTopic("good"); err != nil {
		t.Fatal(err)
	}
	path := join(e.logs, "app.log")
	offs := lineOffsets(writeLines(t, path, "app", 0, 3000))
	e.putTask("agent-1", "app", Task{Path: path, Topic: "good"})
	cfg := e.config()
	cfg.Agent.MaxInflightBytes = 2 << 20 // the range (~2.5 MB with overheads) exceeds it
	a := e.start(cfg)
	e.readDistinct("good", 3000, 30*time.Second)
	waitSaved(t, a, path, offs[3000])

	e.putReship("stuck", Reship{Path: path, Topic: "later"})
	devstack.WaitFor(t, 10*time.Second, "the reship running", func() bool {
		return reshipsOf(t, a)["stuck"].State == ReshipRunning
	})
	more := writeLines(t, path, "app", 3000, 100)
	recs := e.readDistinct("good", 3100, 10*time.Second)
	verify(t, recs, map[string][]string{"app": more})
	devstack.WaitFor(t, 10*time.Second, "the missing topic in the reship's status", func() bool {
		st := reshipsOf(t, a)["stuck"]
		return st.State == ReshipRunning && st.Acked == 0 && strings.Contains(st.Reason, `"later"`)
	})
	t.Logf("stuck reship: %+v", reshipsOf(t, a)["stuck"])

	if err := e.kafka.CreateTopic("later"); err != nil {
		t.Fatal(err)
	}
	if s := e.waitReship("stuck"); s.State != ReshipDone || s.Acked != 3000 {
		t.Errorf("reship %+v, want done with the 3000 lines of the saved range", s)
	}
	e.readDistinct("later", 3000, 10*time.Second)
}

func TestCovered(t *testing.T) {
	as := []anchor{{Off: 10, TS: 1, End: 50}, {Off: 50, TS: 2, End: 60}, {Off: 80, TS: 3, End: 100}}
	tests := []struct {
		from, to int64
		want     bool
	}{
		{10, 50, true}, {20, 60, true}, {0, 20, false}, {20, 70, false}, {60, 80, false},
		{80, 100, true}, {85, 101, false}, {55, 56, true},
	}
	for _, tt := range tests {
		if got := covered(as, tt.from, tt.to); got != tt.want {
			t.Errorf("covered [%d, %d) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
