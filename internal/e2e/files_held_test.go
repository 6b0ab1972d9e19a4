//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// heldFiles returns the files below dir that the running process of d
// holds open, deleted ones included, each stat'ed through its descriptor.
// /proc/<pid>/fd is the one outside view of what the agent reads, and some
// scenarios depend on it: a file deleted before the agent opened it, or
// whose inode is still held, is a different scenario.
func heldFiles(d *daemon, dir string) []os.FileInfo {
	d.mu.Lock()
	cmd := d.cmd
	d.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	fds := fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)
	entries, err := os.ReadDir(fds)
	if err != nil {
		return nil // not running
	}
	var held []os.FileInfo
	for _, e := range entries {
		fd := filepath.Join(fds, e.Name())
		target, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(target, dir+string(filepath.Separator)) {
			continue
		}
		if fi, err := os.Stat(fd); err == nil {
			held = append(held, fi)
		}
	}
	return held
}

// holds reports whether the running process of d holds fi's file open.
func holds(d *daemon, dir string, fi os.FileInfo) bool {
	return slices.ContainsFunc(heldFiles(d, dir), func(h os.FileInfo) bool { return os.SameFile(h, fi) })
}
