package logagent

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
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
		case !sameTS(o, r) || o.Headers[hdrPath] != r.Headers[hdrPath] || o.Headers[hdrOffset] != r.Headers[hdrOffset]:
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
			found = found || r.Headers[hdrOffset] == off
		}
		if !found {
			t.Errorf("line at offset %s not reshipped", off)
		}
	}
}

// TestReshipRefused: a reship the agent cannot do right is refused with the
// reason in its status, and sends nothing.
func TestReshipRefused(t *testing.T) {
	e := newEnv(t)
	path := join(e.logs, "app.log")
	lines := writeLines(t, path, "app", 0, 10)
	offs := lineOffsets(lines)
	outside := join(t.TempDir(), "secret.log")
	writeLines(t, outside, "secret", 0, 10)
	link := join(e.logs, "link.log")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	e.putTask("agent-1", "app", Task{Path: path, Topic: "orig"})
	cfg := e.config()
	cfg.Agent.AllowedPaths = []string{e.logs}
	a := e.start(cfg)
	e.readDistinct("orig", 10, 20*time.Second)
	waitSaved(t, a, path, offs[10])
	sp := e.status

	tests := []struct {
		name   string
		setup  func()
		reship Reship
		want   string
	}{
		{name: "outside", reship: Reship{Path: outside}, want: "outside allowed_paths"},
		{name: "symlink", reship: Reship{Path: link}, want: "resolves to"},
		{name: "gone", reship: Reship{Path: join(e.logs, "nope.log")}, want: "file gone"},
		{name: "fileid", reship: Reship{Path: path, FileID: "0123456789abcdef0123"}, want: "file id is now"},
		{name: "replaced", setup: func() {
			// The path now holds another file (new inode), as after a
			// rotation that renamed it away and created a new one; the
			// task is gone so that the agent does not ship the new one.
			if _, err := e.cli.Delete(e.t.Context(), TaskKey("agent-1", "app")); err != nil {
				t.Fatal(err)
			}
			devstack.WaitFor(t, 10*time.Second, "task removed", func() bool { st, _ := sp("agent-1"); return len(st.Tasks) == 0 })
			if err := os.Rename(path, path+".1"); err != nil {
				t.Fatal(err)
			}
			writeLines(t, path, "app", 0, 10)
		}, reship: Reship{Path: path, Topic: "orig"}, want: "file replaced since it was shipped"},
		{name: "rewritten", setup: func() {
			// The shipped file (renamed above), truncated and written anew
			// in place: same inode, another first line.
			if err := os.WriteFile(path+".1", []byte("another first line\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, reship: Reship{Path: path + ".1", Topic: "orig"}, want: "file rewritten since it was shipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			e.putReship(tt.name, tt.reship)
			s := e.waitReship(tt.name)
			if s.State != ReshipRefused || !strings.Contains(s.Reason, tt.want) || s.Sent != 0 {
				t.Errorf("summary %+v, want refused with %q", s, tt.want)
			}
		})
	}
}

// setLedger replaces the audit ledger's hours of every file generation
// once the agent committed want lines to it.
func setLedger(t *testing.T, a *runningAgent, want int64, hours map[int64]int64) {
	t.Helper()
	devstack.WaitFor(t, 10*time.Second, "the ledger holds every line", func() bool {
		a.pos.mu.Lock()
		defer a.pos.mu.Unlock()
		var n int64
		for _, f := range a.pos.lines.Files {
			for _, c := range f.Hours {
				n += c
			}
		}
		return n == want
	})
	a.pos.mu.Lock()
	defer a.pos.mu.Unlock()
	for _, f := range a.pos.lines.Files {
		f.Hours = hours
	}
}

// TestReshipTimeWindow: a time window is mapped to a byte range by the
// audit ledger, rounded out to whole hours, and refused when the ledger
// does not account for every line. The ledger is set as an agent that read
// lines 0-29 an hour earlier than the rest would have kept it.
func TestReshipTimeWindow(t *testing.T) {
	e := newEnv(t)
	path := join(e.logs, "app.log")
	offs := lineOffsets(writeLines(t, path, "app", 0, 100))
	e.putTask("agent-1", "app", Task{Path: path, Topic: "orig"})
	cfg := e.config()
	cfg.Agent.CloseInactive = 300 * time.Millisecond // the harvester ends: its lines are all in the ledger
	a := e.start(cfg)
	e.readDistinct("orig", 100, 20*time.Second)
	waitSaved(t, a, path, offs[100])
	h := hourOf(time.Now().Unix())
	setLedger(t, a, 100, map[int64]int64{h - 3600: 30, h: 70})

	at := func(hour int64, min int) time.Time { return time.Unix(hour, 0).Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name           string
		from, to       time.Time
		state          string
		wantFrom, want int64 // range start, lines
		reason         string
	}{
		{name: "earlier-hour", from: at(h-3600, 10), to: at(h-3600, 20), state: ReshipDone, wantFrom: offs[0], want: 30},
		{name: "this-hour", from: at(h, 0), to: at(h+3600, 0), state: ReshipDone, wantFrom: offs[30], want: 70},
		{name: "both", from: at(h-3600, 59), to: at(h, 1), state: ReshipDone, wantFrom: offs[0], want: 100},
		{name: "none", from: at(h-5*3600, 0), to: at(h-4*3600, 0), state: ReshipRefused, reason: "no line of the file was counted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.putReship(tt.name, Reship{Path: path, FromTime: tt.from, ToTime: tt.to, Topic: "w-" + tt.name})
			s := e.waitReship(tt.name)
			st := reshipsOf(t, a)[tt.name]
			if s.State != tt.state || !strings.Contains(s.Reason, tt.reason) || s.Acked != tt.want || (tt.want > 0 && st.From != tt.wantFrom) {
				t.Errorf("reship %+v, want %s from %d with %d lines %q", st, tt.state, tt.wantFrom, tt.want, tt.reason)
			}
		})
	}
	setLedger(t, a, 100, map[int64]int64{h: 99})
	e.putReship("short", Reship{Path: path, FromTime: at(h, 0), ToTime: at(h+3600, 0)})
	if s := e.waitReship("short"); s.State != ReshipRefused || !strings.Contains(s.Reason, "do not account for every line") {
		t.Errorf("reship with a ledger short of a line: %+v, want refused", s)
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

func TestDecodeReship(t *testing.T) {
	tests := []struct {
		name, value, want string // want: "" for valid, else a piece of the error
	}{
		{"range", `{"path":"/var/log/a.log","from_offset":10,"to_offset":20}`, ""},
		{"to saved position", `{"path":"/var/log/a.log","from_offset":10}`, ""},
		{"window", `{"path":"/var/log/a.log","from_time":"2026-12-06T10:00:00Z","to_time":"2026-12-06T11:00:00Z"}`, ""},
		{"relative", `{"path":"a.log"}`, "not absolute"},
		{"negative", `{"path":"/a.log","from_offset":-1}`, "negative"},
		{"empty range", `{"path":"/a.log","from_offset":20,"to_offset":20}`, "not past from_offset"},
		{"half window", `{"path":"/a.log","from_time":"2026-12-06T10:00:00Z"}`, "give both"},
		{"window and offsets", `{"path":"/a.log","from_offset":5,"from_time":"2026-12-06T10:00:00Z","to_time":"2026-12-06T11:00:00Z"}`, "exclude"},
		{"backwards window", `{"path":"/a.log","from_time":"2026-12-06T11:00:00Z","to_time":"2026-12-06T10:00:00Z"}`, "not after"},
		{"unknown field", `{"path":"/a.log","form_offset":5}`, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeReship([]byte(tt.value))
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("DecodeReship(%s) = %v, want %q", tt.value, err, tt.want)
			}
		})
	}
}

func TestReshipKeysReachTheAgentOnly(t *testing.T) {
	keep := isTaskKey("web-1")
	for key, want := range map[string]bool{
		ReshipKey("web-1", "fill"): true,
		ReshipPrefix("web-1"):      false,
		ReshipKey("web-2", "fill"): false,
		StatusKey("web-1"):         false,
	} {
		if got := keep(key); got != want {
			t.Errorf("isTaskKey(%q) = %v, want %v", key, got, want)
		}
	}
	snap := conf.Snapshot{Rev: 3, KVs: map[string]string{
		TaskKey("web-1", "mg"):     `{"path":"/a/*.log","topic":"t"}`,
		ReshipKey("web-1", "fill"): `{"path":"/a/x.log"}`,
		ReshipKey("web-1", "bad"):  `{"path":"x.log"}`,
	}}
	tasks, reships := splitReships("web-1", snap)
	if len(tasks.KVs) != 1 || tasks.Rev != 3 || len(reships) != 2 || reships["fill"].Path != "/a/x.log" ||
		reships["fill"].Invalid != "" || !strings.Contains(reships["bad"].Invalid, "not absolute") {
		t.Errorf("splitReships: tasks %v, reships %+v", tasks, reships)
	}
}
