package logagent

import "time"

// A file's position has one writer: its harvester. While it runs, its
// publish loop copies the acked position (with the line counts it passed)
// into the registry as it moves; when it ends, it publishes its final
// position itself — the next generation's start after a truncation.
// The registry refuses a position older than what it holds (positions.go),
// so even a write that raced past a truncation could not move it back.

// publish copies the harvester's acked position into the registry; final
// is its last publish, after every sent line was acked or the deadline
// passed, and after the publish loop ended.
func (h *harvester) publish(final bool) {
	t := h.task
	acked, passed, _ := h.tracker.Progress()
	size, p := h.size.Load(), h.getPath()
	pos := position{Task: t.name, Path: p, Dev: h.id.Dev, Ino: h.id.Ino, FP: h.id.FP, FPLen: h.id.FPLen,
		Gen: h.gen, Offset: acked, Size: size, Seen: time.Unix(0, h.lastSeen.Load())}
	if final && h.result == resultTruncated {
		pos.Gen, pos.Offset = h.gen+1, 0
	}
	t.pos.putCounted(pos, h.counts, passed, final)
	if !final {
		t.metrics.FileLag.WithLabelValues(t.name, p).Set(float64(max(size-acked, 0)))
	}
}

// publishLoop publishes each time the acked position moves (once per
// acknowledged batch at most), so the save loop finds it current and a
// crash re-sends no more than the save interval's worth; and every
// save_interval while the file is idle, to refresh the entry's Seen, so that
// a file still open is never forgotten as long gone. It returns when stop
// is closed.
func (h *harvester) publishLoop(stop <-chan struct{}) {
	tick := time.NewTicker(h.task.cfg.SaveInterval)
	defer tick.Stop()
	for {
		moved := h.tracker.Moved()
		select {
		case <-moved:
		case <-tick.C:
		case <-stop:
			return
		}
		h.publish(false)
	}
}
