//go:build !linux

package ops

import "errors"

func releaseExecutablePages() (int64, error) {
	return 0, errors.New("releasing pages is implemented on Linux only")
}

func rssFile() int64 { return 0 }
