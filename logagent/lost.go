package logagent

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"
)

// Data lost at the source, said where an operator looks. The agent ships
// from the file, so it loses lines only when the file loses them first:
//
//   - deleted: the file was deleted with bytes past its acked offset. Held
//     open by a harvester that ended without shipping them (stopped, or its
//     acks abandoned at the shutdown deadline), the bytes are exact (fstat
//     of the deleted file) and the lines sent but never acked are counted;
//     not held open (closed as inactive, waiting for harvester_limit, the
//     agent down), the bytes are those the registry knew of (its last size
//     minus its offset): a file that grew unseen before it went is counted
//     short, never long.
//   - rotated_away: as deleted, but another file now has its path (renamed
//     out of the glob, or deleted and replaced) while it was not open.
//   - truncated: truncated (copytruncate) below bytes not yet read: from
//     the acked offset (after the harvester waited for its acks; a partial
//     last line read but never sent is lost with the rest) to the largest
//     size the harvester or a scan saw, or, not open, from the registry's
//     offset to its last size. Bytes the harvester read from the new
//     content before it noticed (the copytruncate hazard) count as shipped,
//     so the count errs short.
//
// Bytes read and sent before a truncation are not lost: the harvester
// still waits for their acks. Each loss is counted once: the registry
// entry it came from is settled (size = offset) in the same critical
// section as the count, and both are saved together in positions.json.
//
// Where it shows: logagent_data_lost_bytes_total and _lines_total{task,
// reason}, the task's summary in the status key (LostSummary: totals and
// the last loss, a few dozen bytes), each loss on /status/lines (at most
// maxLostEvents, for `logctl audit`), and one ERROR line per loss.

// Loss reasons.
const (
	lostDeleted     = "deleted"
	lostRotatedAway = "rotated_away"
	lostTruncated   = "truncated"
)

// maxLostEvents bounds the losses kept for /status/lines.
const maxLostEvents = 256

// LostSummary is a task's losses in its status: totals since the registry
// began counting them, and the last one.
type LostSummary struct {
	Bytes      int64     `json:"bytes"`
	Lines      int64     `json:"lines,omitempty"` // where known
	Files      int64     `json:"files"`
	LastReason string    `json:"last_reason"`
	LastPath   string    `json:"last_path"`
	Last       time.Time `json:"last"`
}

// LostFile is one loss on /status/lines: the file generation, why, how much,
// and the UTC hour it was found in.
type LostFile struct {
	Task   string    `json:"task"`
	Path   string    `json:"path"`
	FileID string    `json:"file_id"`
	Reason string    `json:"reason"`
	Bytes  int64     `json:"bytes"`
	Lines  int64     `json:"lines,omitempty"` // where known
	Hour   time.Time `json:"hour"`
	At     time.Time `json:"at"`
}

// lostBook is the losses saved in positions.json, guarded by its
// positions' lock.
type lostBook struct {
	Tasks  map[string]*LostSummary `json:"tasks,omitempty"`
	Events []LostFile              `json:"events,omitempty"`
}

func (b *lostBook) copyLocked() *lostBook {
	if len(b.Tasks) == 0 && len(b.Events) == 0 {
		return nil
	}
	out := &lostBook{Tasks: map[string]*LostSummary{}, Events: slices.Clone(b.Events)}
	for k, v := range b.Tasks {
		c := *v
		out.Tasks[k] = &c
	}
	return out
}

// recordLoss books ev. With settle, the entry at key is settled (size =
// offset: nothing more is known to be left to ship of it) if it still holds
// settle's generation and offset and at least its size; else the loss was
// booked already, or the file moved on, and nothing is booked.
func (p *positions) recordLoss(ev LostFile, key string, settle *position) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if settle != nil {
		e, ok := p.entries[key]
		if !ok || e.Gen != settle.Gen || e.Offset != settle.Offset || e.Size < settle.Size {
			return false
		}
		e.Size = e.Offset
	}
	b := &p.lost
	if b.Tasks == nil {
		b.Tasks = map[string]*LostSummary{}
	}
	s := b.Tasks[ev.Task]
	if s == nil {
		s = &LostSummary{}
		b.Tasks[ev.Task] = s
	}
	s.Bytes += ev.Bytes
	s.Lines += ev.Lines
	s.Files++
	s.LastReason, s.LastPath, s.Last = ev.Reason, ev.Path, ev.At
	b.Events = append(b.Events, ev)
	if n := len(b.Events) - maxLostEvents; n > 0 {
		b.Events = slices.Delete(b.Events, 0, n)
	}
	p.dirty = true
	return true
}

// lostSummary is task's summary for the status key; nil when it lost
// nothing.
func (p *positions) lostSummary(task string) *LostSummary {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.lost.Tasks[task]; s != nil {
		c := *s
		return &c
	}
	return nil
}

// unshipped lists copies of task's entries with bytes past their offset.
func (p *positions) unshipped(task string) map[string]position {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]position{}
	for k, e := range p.entries {
		if e.Task == task && e.Size > e.Offset {
			out[k] = *e
		}
	}
	return out
}

// taskLost is a task runner's loss accounting between scans.
type taskLost struct {
	mu sync.Mutex
	// sizes is the largest size a scan saw of each harvested file since
	// its harvester opened it: a harvester blocked on the budget does not
	// stat its file, and a copytruncate meanwhile hides how far it was.
	sizes map[devIno]int64
	// missing counts, per registry key, the consecutive scans that did not
	// find an unshipped file: a loss is booked at the second, so a rename
	// racing one glob is not taken for one. Only the scan touches it.
	missing map[string]int
}

// observe notes size for the harvested file di (scan).
func (l *taskLost) observe(di devIno, size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sizes == nil {
		l.sizes = map[devIno]int64{}
	}
	l.sizes[di] = max(l.sizes[di], size)
}

// take returns and forgets what was observed of di.
func (l *taskLost) take(di devIno) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.sizes[di]
	delete(l.sizes, di)
	return n
}

// lose books a loss, counts it in the metrics and logs it.
func (t *taskRunner) lose(ev LostFile, key string, settle *position) {
	if ev.Bytes <= 0 && ev.Lines <= 0 {
		return
	}
	ev.Task, ev.At = t.name, time.Now().UTC()
	ev.Hour = ev.At.Truncate(time.Hour)
	if !t.pos.recordLoss(ev, key, settle) {
		return
	}
	t.metrics.LostBytes.WithLabelValues(t.name, ev.Reason).Add(float64(ev.Bytes))
	if ev.Lines > 0 {
		t.metrics.LostLines.WithLabelValues(t.name, ev.Reason).Add(float64(ev.Lines))
	}
	t.log.Error("data lost at the source", "reason", ev.Reason, "file", ev.Path, "file_id", ev.FileID,
		"bytes", ev.Bytes, "lines", ev.Lines)
}

// harvestEnded books what a harvester's file lost (run calls it last,
// with the file still open and its final position published). Lines sent
// and not acked by now are lost with it: the file no longer holds them for
// a re-send.
func (t *taskRunner) harvestEnded(h *harvester) {
	seen := max(t.lost.take(h.id.devIno), h.size.Load(), h.seen)
	acked, _, inflight := h.tracker.Progress()
	ev := LostFile{Path: h.getPath(), FileID: h.fileID, Lines: int64(inflight)}
	if h.result == resultTruncated {
		// Up to what was seen before the truncation; the framer's partial
		// last line (read, never sent) with it.
		ev.Reason, ev.Bytes = lostTruncated, seen-acked
		t.lose(ev, "", nil)
		return
	}
	fi, err := h.f.Stat()
	if err != nil || nlink(fi) != 0 {
		return // still there: the next harvester ships the rest
	}
	ev.Reason, ev.Bytes = lostDeleted, fi.Size()-acked
	t.lose(ev, positionKey(t.name, h.id), &position{Gen: h.gen, Offset: acked})
}

// knownSize is the file's size as far as the agent knows: its last stat,
// or what a scan saw since, whichever is larger (a harvester blocked on the
// budget or the producer does not stat its file).
func (h *harvester) knownSize() int64 {
	return max(h.size.Load(), h.task.lost.seenSize(h.id.devIno))
}

// seenSize is the largest size scans saw of the harvested file di, 0 if none.
func (l *taskLost) seenSize(di devIno) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sizes[di]
}

// shrunk books the unread bytes of a file found shorter than its saved
// offset while no harvester held it (open).
func (t *taskRunner) shrunk(pos position) {
	t.lose(LostFile{Path: pos.Path, FileID: recordFileID(t.agent, pos.identity(), pos.Gen), Reason: lostTruncated,
		Bytes: pos.Size - pos.Offset}, "", nil)
}

// vanished books the registry's unshipped files that two scans in a row
// did not find (found: the dev/inode of every file this scan matched) and
// no harvester holds. Only the scan calls it.
//
// NOTE: a deleted file's inode is often reused at once by the next file
// created (a new hourly file): a dev/inode that a harvester now reads at
// another path under another identity does not hide the deleted file's
// loss. At the same path it is the same file rewritten (copytruncate), whose
// loss the harvester books itself.
func (t *taskRunner) vanished(found map[devIno]bool) {
	held := map[string]bool{}     // registry keys of the files harvested or known unchanged
	heldAt := map[devIno]string{} // the path a harvester reads each dev/inode at
	t.mu.Lock()
	for di, h := range t.harvesters {
		held[positionKey(t.name, h.id)], heldAt[di] = true, h.getPath()
	}
	for _, kf := range t.known {
		held[kf.key] = true
	}
	t.mu.Unlock()
	missing := map[string]int{}
	for k, e := range t.pos.unshipped(t.name) {
		if held[k] {
			continue
		}
		di := devIno{Dev: e.Dev, Ino: e.Ino}
		at, harvested := heldAt[di]
		reused := harvested && at != e.Path // its dev/inode now names another file
		if found[di] && !reused {
			continue // matched, not identified yet: cannot tell
		}
		reason := lostDeleted
		if fi, err := os.Stat(e.Path); err == nil {
			if statDevIno(fi) == di && !reused {
				continue // there, but no longer matched (an exclude): not lost
			}
			reason = lostRotatedAway
		} else if !errors.Is(err, fs.ErrNotExist) {
			continue // cannot tell
		}
		if missing[k] = t.lost.missing[k] + 1; missing[k] < 2 {
			continue
		}
		delete(missing, k)
		t.lose(LostFile{Path: e.Path, FileID: recordFileID(t.agent, e.identity(), e.Gen), Reason: reason,
			Bytes: e.Size - e.Offset}, k, &e)
	}
	t.lost.missing = missing
}
