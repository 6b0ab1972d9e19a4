package logagent

import (
	"os"
	"syscall"
)

// nlink is the file's link count; 0 means deleted while we hold it open.
func nlink(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink) //nolint:unconvert // type differs by platform
	}
	return 1
}
