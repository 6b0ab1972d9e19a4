//go:build linux

package e2e

import (
	"os"
)

// waitShipped waits until the cloud topic holds every line of file
// written so far. Truncating lines the agent has not read loses them by
// design (README, known limits), so a scenario that truncates waits first.
func waitShipped(r *run, file int, written []int) {
	r.t.Helper()
	want := make([]int, len(written))
	want[file] = written[file]
	var tl tally
	if err := checkOrder(r.t.Context(), r.s.cloud.Addrs(), want, &tl); err != nil {
		r.t.Fatalf("waiting for file %d to be shipped before truncating it: %v", file, err)
	}
}

// rewrite truncates file's log to zero and starts it again with
// headerText, as a program that regenerates its log from the same
// template does. From the second rewrite on, the file has the same inode
// and the same first line as before the truncation: only the truncation
// tells the new content apart, and it must get new record ids (a new
// generation) rather than the ids of the lines it replaced, which
// Elasticsearch would drop as already indexed. The rewrite stays shorter
// than what the agent had read, so the truncation shows (README, known
// limits). It must run inside paused.
func rewrite(r *run, file int) {
	if err := os.WriteFile(r.w.path(file), []byte(headerText(file)+"\n"), 0o640); err != nil {
		r.t.Fatal(err)
	}
}
