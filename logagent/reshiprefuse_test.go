package logagent

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
)

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
