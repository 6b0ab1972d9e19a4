package logagent

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// Rotation scenarios: each writes, rotates the way real tools do, writes on,
// and checks every line arrived once in order, and that no loss was counted
// (lost.go) once the old file's harvester closed.
func TestRotation(t *testing.T) {
	tests := []struct {
		name   string
		glob   string
		rotate func(t *testing.T, dir string) // between the two batches of lines
	}{
		{
			// logrotate's default: rename, the app keeps writing the old
			// file a little, then reopens a new one under the old name.
			name: "rename",
			glob: "app.log",
			rotate: func(t *testing.T, dir string) {
				if err := os.Rename(join(dir, "app.log"), join(dir, "app.log.1")); err != nil {
					t.Fatal(err)
				}
				writeLines(t, join(dir, "app.log.1"), "app", 1000, 50) // late writes to the old fd
			},
		},
		{
			// copytruncate: copy the content away, truncate in place.
			name: "copytruncate",
			glob: "app.log",
			rotate: func(t *testing.T, dir string) {
				b, err := os.ReadFile(join(dir, "app.log"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(join(dir, "app.log.1"), b, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(join(dir, "app.log"), 0); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			// Delete while open: the data still readable through our fd.
			name: "delete",
			glob: "*.log",
			rotate: func(t *testing.T, dir string) {
				if err := os.Remove(join(dir, "app.log")); err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	for _, method := range []string{"inotify", "poll"} {
		for _, tt := range tests {
			t.Run(method+"/"+tt.name, func(t *testing.T) {
				e := newEnv(t)
				e.putTask("agent-1", "app", Task{Path: join(e.logs, tt.glob), Topic: "rot"})
				cfg := e.config()
				cfg.Agent.WatchMethod = method
				a := e.start(cfg)
				want := map[string][]string{}
				want["a"] = writeLines(t, join(e.logs, "app.log"), "app", 0, 1000)
				e.readDistinct("rot", 1000, 30*time.Second) // shipped before rotating
				tt.rotate(t, e.logs)
				if tt.name == "rename" {
					want["a"] = append(want["a"], linesOf("app", 1000, 50)...)
				}
				// The new file starts with a different first line, as real
				// logs do (a timestamp), so it is a new identity.
				want["b"] = writeLines(t, join(e.logs, "app.log"), "new", 0, 500)
				recs := e.readDistinct("rot", len(want["a"])+500, 30*time.Second)
				if dups := verify(t, recs, want); dups != 0 {
					t.Errorf("%d duplicates", dups)
				}
				devstack.WaitFor(t, 10*time.Second, "only the new file open", func() bool {
					return strings.Contains(httpGet(t, "http://"+a.HTTPAddr()+"/metrics"), "\nlogagent_open_files 1\n")
				})
				if m := httpGet(t, "http://"+a.HTTPAddr()+"/metrics"); strings.Contains(m, "logagent_data_lost_bytes_total{") {
					t.Errorf("a loss was counted though every line arrived:\n%s", m[strings.Index(m, "logagent_data_lost_bytes_total{"):][:200])
				}
			})
		}
	}
}

// TestTruncateThenRewriteSameFirstLine: a file truncated and rewritten with
// the same first line (a header) must not reuse the old record ids, or
// Elasticsearch would drop the new lines as duplicates.
func TestTruncateThenRewriteSameFirstLine(t *testing.T) {
	e := newEnv(t)
	e.putTask("agent-1", "h", Task{Path: join(e.logs, "h.log"), Topic: "hdr"})
	e.start(e.config())
	p := join(e.logs, "h.log")
	if err := os.WriteFile(p, []byte("#header v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	first := writeLines(t, p, "one", 0, 200)
	e.readDistinct("hdr", 201, 30*time.Second)
	if err := os.WriteFile(p, []byte("#header v1\n"), 0o644); err != nil { // truncate + same header
		t.Fatal(err)
	}
	second := writeLines(t, p, "two", 0, 100)
	recs := e.readDistinct("hdr", 201+101, 30*time.Second)
	verify(t, recs, map[string][]string{"one": first, "two": second})
}

func linesOf(tag string, first, n int) []string {
	out := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		out = append(out, lineText(tag, i))
	}
	return out
}
