package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteReplacesWithMode: the file holds the new content with the mode
// asked for (CreateTemp's own 0600 and another), and no temp file is left.
func TestWriteReplacesWithMode(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o600, 0o644} {
		path := filepath.Join(dir, "state-"+perm.String()+".json")
		for _, content := range []string{"old", "new"} {
			if err := Write(path, []byte(content), perm); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != "new" {
			t.Fatalf("%s holds %q (%v), want \"new\"", path, b, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != perm {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode().Perm(), perm)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("directory holds %d entries, want the 2 files and no temp file", len(entries))
	}
}
