package logagent

import (
	"maps"
	"slices"
	"time"
)

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
	pos := position{Task: t.name, Path: h.getPath(), Dev: h.id.Dev, Ino: h.id.Ino, FP: h.id.FP, FPLen: h.id.FPLen,
		Gen: h.gen, Offset: acked, Size: h.knownSize(), Seen: time.Unix(0, h.lastSeen.Load())}
	if final && h.result == resultTruncated {
		pos.Gen, pos.Offset = h.gen+1, 0
	}
	t.pos.putCounted(pos, h.counts, passed, final)
}

// publishLoop publishes each time the acked position moves (once per
// acknowledged batch at most), so the save loop finds it current and a
// crash re-sends no more than the save interval's worth. An idle file costs
// a parked goroutine, no wake-ups. It returns when stop is closed.
func (h *harvester) publishLoop(stop <-chan struct{}) {
	for {
		moved := h.tracker.Moved()
		select {
		case <-moved:
		case <-stop:
			return
		}
		h.publish(false)
	}
}

// refreshLive runs after each scan: the registry entries of files still
// open are marked seen (an idle open file must not be forgotten as long
// gone), and their byte lag follows their growth while acks stall. Neither
// is a position: the harvesters stay their positions' only writers.
func (t *taskRunner) refreshLive(now time.Time) {
	t.mu.Lock()
	hs := slices.Collect(maps.Values(t.harvesters))
	t.mu.Unlock()
	for _, h := range hs {
		t.pos.touch(positionKey(t.name, h.id), now)
		acked, _ := h.tracker.Position()
		t.metrics.FileLag.WithLabelValues(t.name, h.getPath()).Set(float64(max(h.knownSize()-acked, 0)))
	}
}
