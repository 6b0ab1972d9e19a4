//go:build linux

package e2e

import (
	"fmt"
	"os"
	"syscall"

	"github.com/logpipe/logpipe/internal/devstack"
)

// reuseTries is how many new files reuseInode creates looking for the
// freed inode: ext4 hands out the lowest free inode of the directory's
// group, so the first usually gets it unless another process took it;
// tmpfs numbers inodes afresh and never reuses one.
const reuseTries = 16

// reuseInode deletes file's log, waits until the agent read it to its end
// and let go of it (so the kernel frees the inode), and moves a new file
// holding the file's next lines into its place, made so that it gets the
// freed inode if the filesystem gives it out again. The new file is larger
// than the old one: an agent that took it for the old file, whose position
// it saved, would resume at the old offset and skip the new file's first
// lines. It must run inside paused, and reports whether the inode was
// reused.
func reuseInode(r *run, file int) bool {
	path := r.w.path(file)
	old, err := os.Stat(path)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		r.t.Fatal(err)
	}
	devstack.WaitFor(r.t, r.tm.drainTimeout, "the agent to close the deleted "+path, func() bool {
		return !holds(r.s.agent, r.s.logs, old)
	})
	// Candidates are named off the task's glob until one is moved in.
	var tries []string
	defer func() {
		for _, p := range tries {
			_ = os.Remove(p)
		}
	}()
	reused := false
	for i := range reuseTries {
		p := fmt.Sprintf("%s.new%d", path, i)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
		if err != nil {
			r.t.Fatal(err)
		}
		fi, err := f.Stat()
		f.Close()
		if err != nil {
			r.t.Fatal(err)
		}
		tries = append(tries, p)
		if reused = inode(fi) == inode(old); reused {
			break
		}
	}
	newFile := tries[len(tries)-1]
	lineLen := int64(len(lineText(file, 0)) + 1)
	if err := r.w.appendLines(file, int(old.Size()/lineLen)+100, newFile); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Rename(newFile, path); err != nil {
		r.t.Fatal(err)
	}
	r.t.Logf("%s: deleted at inode %d (%d bytes); the new file got inode %d after %d tries (reused: %t)",
		path, inode(old), old.Size(), inodeOf(path), len(tries), reused)
	return reused
}

func inode(fi os.FileInfo) uint64 { return fi.Sys().(*syscall.Stat_t).Ino }

func inodeOf(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return inode(fi)
}
