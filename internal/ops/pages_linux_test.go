package ops

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestReleaseExecutablePages: with every page of the executable's
// read-only mappings resident (the test binary's, read through
// /proc/self/mem), paging them out takes most of them back; the code keeps
// running, its pages coming back on demand.
func TestReleaseExecutablePages(t *testing.T) {
	spans, err := executableSpans()
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	var size int64
	buf := make([]byte, 1<<20)
	for _, s := range spans {
		for off := s.start; off < s.end; off += uintptr(len(buf)) {
			n := min(uintptr(len(buf)), s.end-off)
			if _, err := mem.ReadAt(buf[:n], int64(off)); err != nil {
				t.Fatalf("touching %#x: %v", off, err)
			}
		}
		size += int64(s.end - s.start)
	}
	before := spansRSS(t, spans)
	_, err = releaseExecutablePages()
	if errors.Is(err, syscall.EINVAL) {
		t.Skip("MADV_PAGEOUT needs Linux 5.4")
	}
	if err != nil {
		t.Fatal(err)
	}
	after := spansRSS(t, spans)
	t.Logf("read-only mappings %d KiB, resident %d → %d KiB", size>>10, before>>10, after>>10)
	if before < size*3/4 || after > size/4 {
		t.Errorf("read-only mappings %d KiB, resident %d → %d KiB: want them resident, then at most a quarter", size>>10, before>>10, after>>10)
	}
}

// spansRSS is the resident memory of the mappings that start spans, from
// /proc/self/smaps.
func spansRSS(t *testing.T, spans []span) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	starts := map[uint64]bool{}
	for _, s := range spans {
		starts[uint64(s.start)] = true
	}
	var rss int64
	in := false
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			lo, _, _ := strings.Cut(f[0], "-")
			start, err := strconv.ParseUint(lo, 16, 64)
			in = err == nil && starts[start]
		case in && len(f) == 3 && f[0] == "Rss:":
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			rss += kb << 10
		}
	}
	return rss
}
