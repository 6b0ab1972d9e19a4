package ctl

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// topStatuses is an agent and a transfer instance as published at
// updated, having acked lines and bytes and committed offsets.
func topStatuses(updated, lines, bytes, committed int64) topSnapshot {
	mg := logagent.Task{Path: "/data/mg_*.log", Topic: "mglogs"}
	agent := topAgent{Status: logagent.Status{Agent: "web-1", KafkaReady: true, UpdatedUnix: updated,
		Tasks: []logagent.TaskStatus{
			{Name: "mg", Task: mg, Files: []logagent.FileStatus{{Path: "/data/mg_1.log", FileID: "f1", Acked: bytes, Size: bytes + 2048, LagByte: 2048}}},
			{Name: "api", Task: logagent.Task{Path: "/data/api.log", Topic: "api"},
				Problems: []logagent.FileProblem{{Path: "/data/api.log", Error: "permission denied"}}},
		},
		Lines: &logagent.LineCounts{Files: []logagent.FileLines{{FileID: "f1", Path: "/data/mg_1.log", Task: "mg",
			Hours: []logagent.HourLines{{Hour: time.Unix(0, 0), Read: lines, Acked: lines}}}}}},
		states: []unitState{{State: "failing", Error: "kafka: leader not available", SinceUnix: updated - 30}}}
	transfer := topTransfer{Status: logtransfer.Status{Instance: "xfer-1", UpdatedUnix: updated,
		Routes: []logtransfer.RouteStatus{{Name: "mglogs", Route: logtransfer.Route{Topic: "mglogs"}, Group: "logtransfer-mglogs",
			Partitions: []logtransfer.PartitionStatus{{Partition: 0, Committed: committed, Lag: 7, Inflight: 2}},
			LastError:  "bulk: 429 too many requests"}}}}
	return topSnapshot{at: time.Unix(updated, 0), agents: []topAgent{agent}, transfers: []topTransfer{transfer}}
}

// TestTopFrame renders frames to a buffer: rates appear once a daemon has
// published twice, state and errors show where the status carries them.
func TestTopFrame(t *testing.T) {
	v := newTopView()
	v.update(topStatuses(1000, 50, 4096, 100))
	var first strings.Builder
	if err := v.render(&first, time.Unix(1002, 0), "etcd:2379"); err != nil {
		t.Fatal(err)
	}
	t.Logf("first frame:\n%s", first.String())
	assertRows(t, first.String(), [][]string{
		{"web-1", "mg", "mglogs", "failing", "32s", "/data/mg_1.log", "-", "-", "2.0", "KiB", "2s", "ago", "kafka:", "leader", "not", "available"},
		{"web-1", "api", "api", "-", "-", "-", "-", "-", "2s", "ago", "/data/api.log:", "permission", "denied"},
		{"xfer-1", "mglogs", "mglogs", "-", "0", "-", "7", "2", "2s", "ago", "bulk:", "429", "too", "many", "requests"},
	})

	v.update(topStatuses(1010, 150, 14336, 600))
	var second strings.Builder
	if err := v.render(&second, time.Unix(1011, 0), "etcd:2379"); err != nil {
		t.Fatal(err)
	}
	t.Logf("second frame:\n%s", second.String())
	assertRows(t, second.String(), [][]string{
		{"web-1", "mg", "mglogs", "failing", "31s", "/data/mg_1.log", "10.0", "1.0", "KiB", "2.0", "KiB", "1s", "ago", "kafka:", "leader", "not", "available"},
		{"xfer-1", "mglogs", "mglogs", "-", "0", "50.0", "7", "2", "1s", "ago", "bulk:", "429", "too", "many", "requests"},
	})

	// A status read again at the same version keeps its rates.
	v.update(topStatuses(1010, 150, 14336, 600))
	if got := v.perSec(partKey("xfer-1", "mglogs", 0)); got != "50.0" {
		t.Errorf("docs/s after an unchanged status: %s, want 50.0", got)
	}
	// What is gone is forgotten.
	v.update(topSnapshot{})
	if len(v.rates) != 0 {
		t.Errorf("%d rates kept after every daemon left", len(v.rates))
	}
}

// TestTopReadsStatusKeys runs top on the secured stack against status
// values carrying the per-unit state fields in either form (RFC 3339 or
// Unix since), and fields this logctl does not know.
func TestTopReadsStatusKeys(t *testing.T) {
	s := newSecured(t)
	now := time.Now()
	since := now.Add(-time.Minute).UTC().Format(time.RFC3339)
	s.put(logagent.StatusKey("web-1"), `{"agent":"web-1","kafka_ready":true,"updated_unix":`+itoa(now.Unix())+
		`,"tasks":[{"name":"mg","task":{"path":"/data/*.log","topic":"mglogs"},"state":"waiting","error":"no file matches",`+
		`"since":"`+since+`","a_future_field":{"x":1},"files":[]}]}`)
	s.put(logtransfer.StatusKey("xfer-1"), `{"instance":"xfer-1","updated_unix":`+itoa(now.Unix())+
		`,"routes":[{"name":"mglogs","route":{"topic":"mglogs"},"group":"g","state":"running","since":"`+now.Add(-time.Hour).UTC().Format(time.RFC3339)+`"`+
		`,"partitions":[{"partition":3,"committed_offset":10,"lag":0,"inflight":0}]}]}`)
	s.put(logagent.StatusKey("broken"), `{not json`)
	// An agent keeping only summaries in its key: per-task health with a
	// count, open files and lag, and the address of the rest.
	s.put(logagent.StatusKey("web-2"), `{"agent":"web-2","kafka_ready":true,"http":"127.0.0.1:9610","updated_unix":`+itoa(now.Unix())+
		`,"tasks":[{"name":"api","task":{"path":"/data/api.log","topic":"api"},"state":"failing",`+
		`"reason":"kafka: topic api: not authorized","since":"`+since+`","count":7,"open_files":2,"lag_bytes":131072}]}`)

	out := s.secureOK("top", "--once")
	for first, want := range map[string]string{
		"web-1":  "web-1 mg mglogs waiting 1m",
		"xfer-1": "xfer-1 mglogs mglogs running 1h0m",
		"web-2":  "web-2 api api failing 1m",
	} {
		if row := rowOf(out, first); !strings.HasPrefix(row, want) {
			t.Errorf("top's %s row is %q, want it to start %q", first, row, want)
		}
	}
	mustContain(t, rowOf(out, "web-1"), "no file matches")
	mustContain(t, rowOf(out, "web-2"), "(2 open) - - 128.0 KiB", "kafka: topic api: not authorized (×7)")
	mustContain(t, rowOf(out, "xfer-1"), " 3 - 0 0 ")
	mustContain(t, out, "broken", "unreadable status")
	if strings.Contains(out, "\033[") {
		t.Errorf("top into a pipe clears the screen")
	}

	out = s.secureOK("top", "--frames", "2", "--interval", "100ms")
	if n := strings.Count(out, "logctl top "); n != 2 {
		t.Errorf("top --frames 2 drew %d frames", n)
	}
}

// rowOf is the line of out whose first field is first, its fields
// joined by one space.
func rowOf(out, first string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == first {
			return strings.Join(f, " ")
		}
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// assertRows fails for each of rows that out lacks.
func assertRows(t *testing.T, out string, rows [][]string) {
	t.Helper()
	for _, row := range rows {
		if !hasRow(out, row) {
			t.Errorf("frame lacks the row %v", row)
		}
	}
}
