package logagent

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"
)

// Per-hour line counts: for each file generation (record file id) and UTC
// hour of the lines' lp.ts (their time anchor's, anchors.go; logtransfer
// writes it as event.created), how many lines the agent read and how many
// Kafka acknowledged. `logctl audit` compares them with what Elasticsearch holds,
// a second oracle next to the positions.
//
// Exactness. "acked" counts a line only when the file's saved position
// passes it (flow.Tracker.Progress numbers the lines in send order), and
// the counts are saved in positions.json under the same lock as the
// positions they belong to: after SIGKILL a restarted agent re-reads what
// lies past its saved position and counts those lines then, once. Re-sent
// records never count twice. "read" is acked plus the lines in flight; lines
// in flight at a crash are counted again when re-read. A re-read line keeps
// the lp.ts it was first sent with (its time anchor was on disk before it
// was sent), so both sides count it in the same hour.
//
// Cost. The harvester calls lineCounts.line once per line: two compares
// against the current hour; only a new hour takes locks. Counts are folded
// in per position update (save_interval), not per line or per ack.
//
// Bounds: hours older than lineHours are dropped, and at most lineFiles
// file generations are kept; CompleteSince then says from which hour on the
// counts are whole.
const (
	lineHours = 48
	lineFiles = 256
)

// LineCounts is the agent's per-hour line counts, in its status.
type LineCounts struct {
	// CompleteSince is the first hour the counts are whole for: lines read
	// before it (older than the window kept, read before this version ran,
	// or of files dropped by the bounds) are not all counted.
	CompleteSince time.Time   `json:"complete_since"`
	Files         []FileLines `json:"files"`
	// Lost lists the last losses of files before they were shipped
	// (lost.go), oldest first.
	Lost []LostFile `json:"lost,omitempty"`
}

// FileLines is one file generation's counts. Path is the path its records
// carry (lp.path, the path when its harvester opened it).
type FileLines struct {
	FileID string      `json:"file_id"`
	Path   string      `json:"path"`
	Task   string      `json:"task"`
	Hours  []HourLines `json:"hours"`
}

// HourLines is the lines read in one UTC hour (Hour is its start), and how
// many of them Kafka acknowledged.
type HourLines struct {
	Hour  time.Time `json:"hour"`
	Read  int64     `json:"read"`
	Acked int64     `json:"acked"`
}

// lineBook is the counts of acked lines, per file generation and hour,
// saved in positions.json. It is guarded by its positions' lock.
type lineBook struct {
	// Since is the first hour counted whole (Unix seconds), apart from
	// the window: 0 when the agent counted from its first start.
	Since int64        `json:"complete_since"`
	Files []*fileLines `json:"files"`

	live map[*lineCounts]struct{}
}

// fileLines is one file generation's acked lines per hour (Unix seconds of
// the hour's start → lines), on disk.
type fileLines struct {
	FileID string          `json:"file_id"`
	Path   string          `json:"path"`
	Task   string          `json:"task"`
	Hours  map[int64]int64 `json:"hours"`
}

// progressor is what lineCounts reads of a file's ack tracker.
type progressor interface {
	Progress() (pos, passed int64, inflight int)
}

// lineCounts follows one harvester: which hour each of its lines was read
// in, as runs of consecutive lines, and how many are folded into the book.
type lineCounts struct {
	p    *positions
	tr   progressor
	file *fileLines

	// hourStart and hourEnd bound the current run's hour; only the
	// harvester's goroutine touches them.
	hourStart, hourEnd int64

	// Under p.mu. Line n (numbered like the tracker's items) was read in
	// the hour of the last run starting at or before n.
	runs      []hourRun
	committed int64 // lines [0, committed) are in the book
}

type hourRun struct {
	hour  int64
	start int64
}

// line notes that the next line sent was read at now. The harvester calls
// it before registering the line with its tracker.
func (c *lineCounts) line(now time.Time) {
	if s := now.Unix(); s < c.hourStart || s >= c.hourEnd {
		c.newHour(s)
	}
}

func (c *lineCounts) newHour(s int64) {
	h := hourOf(s)
	c.hourStart, c.hourEnd = h, h+3600
	_, passed, inflight := c.tr.Progress()
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	start := passed + int64(inflight)
	if n := len(c.runs); n > 0 && c.runs[n-1].start == start {
		c.runs[n-1].hour = h // no line read in the previous run
		return
	}
	c.runs = append(c.runs, hourRun{hour: h, start: start})
}

func hourOf(unix int64) int64 { return unix - ((unix%3600)+3600)%3600 }

// each calls fn with the hour and number of lines of [from, to).
func (c *lineCounts) each(from, to int64, fn func(hour, n int64)) {
	for i, r := range c.runs {
		end := to
		if i+1 < len(c.runs) {
			end = min(end, c.runs[i+1].start)
		}
		if lo := max(from, r.start); end > lo {
			fn(r.hour, end-lo)
		}
	}
}

// commitLocked folds the lines [committed, passed) into the book and drops
// runs no later line can fall in.
func (c *lineCounts) commitLocked(passed int64) bool {
	if passed <= c.committed {
		return false
	}
	c.each(c.committed, passed, func(hour, n int64) { c.file.Hours[hour] += n })
	c.committed = passed
	i := 0
	for i+1 < len(c.runs) && c.runs[i+1].start <= passed {
		i++
	}
	c.runs = c.runs[i:]
	return true
}

// lineCounts starts the counts of a harvester of task reading file
// generation fileID at path (its records' lp.path), whose acks tr tracks.
func (p *positions) lineCounts(task, fileID, path string, tr progressor) *lineCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := &p.lines
	var f *fileLines
	for _, e := range b.Files {
		if e.FileID == fileID && e.Path == path {
			f = e
		}
	}
	if f == nil {
		f = &fileLines{FileID: fileID, Path: path, Task: task, Hours: map[int64]int64{}}
		b.Files = append(b.Files, f)
	}
	c := &lineCounts{p: p, tr: tr, file: f}
	if b.live == nil {
		b.live = map[*lineCounts]struct{}{}
	}
	b.live[c] = struct{}{}
	return c
}

// putCounted stores e, whose Offset is the position pos of c's tracker that
// passed lines, together with those lines' counts; final ends c (its
// harvester is done).
func (p *positions) putCounted(e position, c *lineCounts, passed int64, final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// One critical section: a save between the two would pair the new
	// position with the old counts, and the lines between never count.
	p.putLocked(e)
	if c.commitLocked(passed) {
		p.dirty = true
	}
	if final {
		delete(p.lines.live, c)
	}
}

// pruneLinesLocked applies the bounds at now.
func (p *positions) pruneLinesLocked(now time.Time) {
	b := &p.lines
	oldest := hourOf(now.Unix()) - (lineHours-1)*3600
	inUse := map[*fileLines]bool{}
	for c := range b.live {
		inUse[c.file] = true
	}
	newest := func(f *fileLines) int64 {
		n := int64(0)
		for h := range f.Hours {
			n = max(n, h)
		}
		return n
	}
	kept := b.Files[:0]
	for _, f := range b.Files {
		for h := range f.Hours {
			if h < oldest {
				delete(f.Hours, h)
				p.dirty = true
			}
		}
		if len(f.Hours) > 0 || inUse[f] {
			kept = append(kept, f)
		}
	}
	if len(kept) != len(b.Files) {
		p.dirty = true
	}
	clear(b.Files[len(kept):])
	b.Files = kept
	if len(b.Files) > lineFiles {
		// The files last read longest ago go; their hours are no longer whole.
		slices.SortStableFunc(b.Files, func(x, y *fileLines) int {
			return cmp.Or(cmpBool(inUse[y], inUse[x]), cmp.Compare(newest(y), newest(x)))
		})
		for _, f := range b.Files[lineFiles:] {
			b.Since = max(b.Since, newest(f)+3600)
		}
		b.Files = slices.Clone(b.Files[:lineFiles])
		p.dirty = true
	}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// lineStatus returns the counts for the status key: the book plus, for
// harvesters running, what their trackers passed or hold since.
func (p *positions) lineStatus(now time.Time) *LineCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pruneLinesLocked(now)
	b := &p.lines
	type hk struct {
		f    *fileLines
		hour int64
	}
	read, acked := map[hk]int64{}, map[hk]int64{}
	for _, f := range b.Files {
		for h, n := range f.Hours {
			read[hk{f, h}] += n
			acked[hk{f, h}] += n
		}
	}
	oldest := hourOf(now.Unix()) - (lineHours-1)*3600
	for c := range b.live {
		// Lock order: positions, then the tracker (never the reverse).
		_, passed, inflight := c.tr.Progress()
		c.each(c.committed, passed, func(h, n int64) { acked[hk{c.file, h}] += n })
		c.each(c.committed, passed+int64(inflight), func(h, n int64) { read[hk{c.file, h}] += n })
	}
	out := &LineCounts{CompleteSince: time.Unix(max(b.Since, oldest), 0).UTC(), Files: []FileLines{}, Lost: slices.Clone(p.lost.Events)}
	byFile := map[*fileLines]*FileLines{}
	for k, n := range read {
		if k.hour < oldest {
			continue
		}
		fl := byFile[k.f]
		if fl == nil {
			fl = &FileLines{FileID: k.f.FileID, Path: k.f.Path, Task: k.f.Task}
			byFile[k.f] = fl
		}
		fl.Hours = append(fl.Hours, HourLines{Hour: time.Unix(k.hour, 0).UTC(), Read: n, Acked: acked[k]})
	}
	for _, fl := range byFile {
		slices.SortFunc(fl.Hours, func(x, y HourLines) int { return x.Hour.Compare(y.Hour) })
		out.Files = append(out.Files, *fl)
	}
	slices.SortFunc(out.Files, func(x, y FileLines) int {
		return cmp.Or(strings.Compare(x.Path, y.Path), strings.Compare(x.FileID, y.FileID))
	})
	return out
}

// copyLocked returns a copy of the book to save outside the lock.
func (b *lineBook) copyLocked() *lineBook {
	out := &lineBook{Since: b.Since, Files: make([]*fileLines, len(b.Files))}
	for i, f := range b.Files {
		c := *f
		c.Hours = maps.Clone(f.Hours)
		out.Files[i] = &c
	}
	return out
}
