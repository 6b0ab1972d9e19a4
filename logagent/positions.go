package logagent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/logpipe/logpipe/internal/atomicfile"
)

// position is what the agent remembers of one file for one task.
type position struct {
	Task  string `json:"task"`
	Path  string `json:"path"`
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	FP    string `json:"fp"`
	FPLen int    `json:"fp_len"`
	// Gen counts truncations of a file whose first line stayed the same, so
	// the rewritten content gets new record ids.
	Gen int `json:"gen"`
	// Offset is the end of the last line Kafka acked, and every line
	// before it: the only offset it is safe to resume from.
	Offset int64     `json:"offset"`
	Size   int64     `json:"size"`
	Seen   time.Time `json:"seen"`
}

func (p *position) identity() fileIdentity {
	return fileIdentity{devIno: devIno{Dev: p.Dev, Ino: p.Ino}, FP: p.FP, FPLen: p.FPLen}
}

func positionKey(task string, id fileIdentity) string { return task + "\x00" + id.key() }

// positions is the agent's registry, saved atomically as JSON in the state
// directory. Only acked offsets are ever written into it.
type positions struct {
	mu      sync.Mutex
	path    string
	entries map[string]*position
	// started lists tasks that finished a first scan: from=end applies only
	// to files found then, never to files created while the agent was down.
	started map[string]bool
	// lines are the per-hour line counts (linecount.go), saved with the
	// positions they belong to.
	lines lineBook
	// lost is what files lost before it was shipped (lost.go), saved with
	// the positions it settled.
	lost  lostBook
	dirty bool
	// saveMu serializes saves: two writes in flight could land out of
	// order and put an older registry on disk.
	saveMu sync.Mutex
	// anchors learns which positions are on disk after each save, to
	// prune the time anchors below them (anchors.go); nil in some tests.
	anchors *anchorStore
}

// registryFile is the on-disk form of positions.
type registryFile struct {
	Version int         `json:"version"`
	Started []string    `json:"tasks_started"`
	Files   []*position `json:"files"`
	Lines   *lineBook   `json:"lines,omitempty"`
	Lost    *lostBook   `json:"lost,omitempty"`
}

const positionsFile = "positions.json"

// loadPositions reads the registry at path; a missing file is an empty one.
func loadPositions(path string) (*positions, error) {
	p := &positions{path: path, entries: map[string]*position{}, started: map[string]bool{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading positions: %w", err)
	}
	var rf registryFile
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("positions file %s is corrupt: %w", path, err)
	}
	if rf.Lines != nil {
		p.lines = *rf.Lines
		for _, f := range p.lines.Files {
			if f.Hours == nil {
				f.Hours = map[int64]int64{}
			}
		}
	} else {
		// Written before line counts existed: lines read so far in this
		// hour went uncounted.
		p.lines.Since = hourOf(time.Now().Unix()) + 3600
	}
	if rf.Lost != nil {
		p.lost = *rf.Lost
	}
	for _, e := range rf.Files {
		p.entries[positionKey(e.Task, e.identity())] = e
	}
	for _, t := range rf.Started {
		p.started[t] = true
	}
	return p, nil
}

// get returns a copy of the entry for task and id.
func (p *positions) get(task string, id fileIdentity) (position, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[positionKey(task, id)]
	if !ok {
		return position{}, false
	}
	return *e, true
}

// put stores e unless the registry holds a later position of its file.
func (p *positions) put(e position) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.putLocked(e)
}

// putLocked stores e and reports whether it did. A position never moves
// back: e is refused when the entry held is of a later generation, or of
// the same one further on. A stale (gen, offset) landing after a truncation
// was recorded would resume the old generation at its old offset and give
// the rewritten lines after it old record ids.
func (p *positions) putLocked(e position) bool {
	k := positionKey(e.Task, e.identity())
	if old, ok := p.entries[k]; ok {
		if *old == e {
			return true
		}
		if e.Gen < old.Gen || (e.Gen == old.Gen && e.Offset < old.Offset) {
			return false
		}
	}
	p.entries[k] = &e
	p.dirty = true
	return true
}

// taskStarted reports whether task finished a first scan, ever.
func (p *positions) taskStarted(task string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started[task]
}

// markStarted records that task finished its first scan.
func (p *positions) markStarted(task string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started[task] {
		p.started[task] = true
		p.dirty = true
	}
}

// touch marks an entry as still seen. It does not make the registry dirty:
// Seen only matters to forget, and is saved with the next real change.
func (p *positions) touch(key string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.entries[key]; ok {
		e.Seen = now
	}
}

// forget drops entries of task not seen since before, e.g. files deleted
// long ago, so the registry does not grow without bound.
func (p *positions) forget(before time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, e := range p.entries {
		if e.Seen.Before(before) {
			delete(p.entries, k)
			if p.anchors != nil {
				p.anchors.forget(k)
			}
			n++
		}
	}
	if n > 0 {
		p.dirty = true
	}
	return n
}

// save writes the registry if it changed since the last save.
func (p *positions) save() error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	if !p.dirty {
		p.mu.Unlock()
		return nil
	}
	list := make([]*position, 0, len(p.entries))
	for _, e := range p.entries {
		c := *e
		list = append(list, &c)
	}
	started := make([]string, 0, len(p.started))
	for t := range p.started {
		started = append(started, t)
	}
	sort.Strings(started)
	p.pruneLinesLocked(time.Now())
	lines := p.lines.copyLocked()
	lost := p.lost.copyLocked()
	p.dirty = false
	p.mu.Unlock()
	sort.Slice(list, func(i, j int) bool {
		if list[i].Task != list[j].Task {
			return list[i].Task < list[j].Task
		}
		return list[i].Path < list[j].Path
	})
	b, err := json.MarshalIndent(registryFile{Version: 1, Started: started, Files: list, Lines: lines, Lost: lost}, "", " ")
	if err == nil {
		err = atomicfile.Write(p.path, b, 0o600)
	}
	if err != nil {
		p.mu.Lock()
		p.dirty = true
		p.mu.Unlock()
		return fmt.Errorf("saving positions: %w", err)
	}
	if p.anchors != nil {
		p.anchors.saved(list)
	}
	return nil
}
