package logagent

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logpipe/logpipe/internal/atomicfile"
)

// Time anchors fix a line's lp.ts before the line is first sent, so that a
// line re-read after any crash (SIGKILL, OOM, power loss) carries the read
// time it carried the first time. logtransfer derives @timestamp, hence the
// daily index, from lp.ts for raw routes and when a time field does not
// parse; since `_id` is unique per index only, a new read time after a
// restart across midnight made a second document.
//
// An anchor (o, t, e) says: a line whose first byte is at offset s, with o
// the largest anchor offset <= s and s < e, is stamped t. The harvester
// writes an anchor to anchors.json (atomically, fsynced) before it hands
// any line it covers to the producer, so every line ever sent is covered by
// a durable anchor, and the rule gives the same answer after a restart.
// Lines past every anchor's e were never sent and get a fresh anchor.
//
// Cost: a harvester takes a new anchor when its current one is from an
// earlier anchorGranularity tick or a line starts past its reserved end e,
// which is the read offset plus max(anchorMinSlack, twice the bytes the file
// took per tick lately). All harvesters renew on the same wall-clock tick,
// and a write commits every anchor that waits for it (group commit), so
// steady shipping costs about one small file write per busy file and tick
// at worst, fewer when renewals meet: measured 1.3 writes/s for one file at
// 4,000 lines/s and 4-4.5/s for eight files sharing that rate. Many busy
// files renew within one read_interval of the tick; writes then follow each
// other back to back during that window and batch what arrived meanwhile.
//
// The price of the reservation: lines written while the agent was down
// after a crash, below an anchor's e, are stamped with the anchor's time
// (earlier than their read). A harvester that ends (stopped, inactive,
// gone) trims its anchors to the end of the last line it sent, so a clean
// stop or a close for inactivity leaves no reservation behind.
//
// Anchors wholly below a file's saved position (positions.json, already on
// disk) can never be needed again and are pruned at the next write.

// anchorGranularity is how long one anchor stamps new lines: lp.ts lags the
// true read time by at most this much.
const anchorGranularity = time.Second

// anchorMinSlack is the least an anchor reserves past the read offset. A
// busy file's reservation follows its rate (a backlog read at full speed
// doubles it per write until one write per tick suffices); a slow file's
// stays small. What is reserved but not sent when
// the agent crashes is what lines written while it was down are stamped
// with the pre-crash time for: about two seconds' worth of the file.
const anchorMinSlack = 16 << 10

// anchor is one time anchor of a file generation, on disk as [o, t, e].
type anchor struct {
	Off int64 // first byte covered
	TS  int64 // Unix milliseconds stamped on the lines it covers
	End int64 // reserved end: lines starting at or past it are not covered
}

func (a anchor) MarshalJSON() ([]byte, error) { return json.Marshal([3]int64{a.Off, a.TS, a.End}) }

func (a *anchor) UnmarshalJSON(b []byte) error {
	var v [3]int64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	a.Off, a.TS, a.End = v[0], v[1], v[2]
	return nil
}

// anchorKey names one file generation of one task.
type anchorKey struct {
	pos string // positionKey(task, identity)
	gen int
}

// anchorFloor is a file's position as saved on disk: anchors below it are
// no longer needed.
type anchorFloor struct {
	gen int
	off int64
}

// anchorStore holds every file generation's anchors and writes them, with
// group commit: a writer takes all anchors added while the previous write
// ran, and every caller waits only for the write that holds its anchor.
type anchorStore struct {
	path   string
	writes atomic.Int64 // files written, for tests and cost measurement
	// written counts each write by result (logagent_anchor_writes_total);
	// nil counts nothing.
	written func(err error)

	mu      sync.Mutex
	files   map[anchorKey][]anchor // sorted by Off
	floors  map[string]anchorFloor
	ver     uint64 // bumped by every change
	durable uint64 // ver of the last successful write
	writing bool
	wrote   chan struct{} // closed when the current write ends
}

// anchorsFile is the on-disk form of anchorStore.
type anchorsFile struct {
	Version int               `json:"version"`
	Files   []anchorsFileItem `json:"files"`
}

type anchorsFileItem struct {
	Pos     string   `json:"pos"` // positionKey: task NUL identity
	Gen     int      `json:"gen"`
	Anchors []anchor `json:"anchors"`
}

const anchorsFileName = "anchors.json"

// loadAnchors reads the store at path; a missing file is an empty store.
func loadAnchors(path string) (*anchorStore, error) {
	s := &anchorStore{path: path, files: map[anchorKey][]anchor{}, floors: map[string]anchorFloor{}, wrote: make(chan struct{})}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading time anchors: %w", err)
	}
	var f anchorsFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("time anchors file %s is corrupt: %w", path, err)
	}
	for _, it := range f.Files {
		as := slices.Clone(it.Anchors)
		slices.SortFunc(as, func(x, y anchor) int { return cmp.Compare(x.Off, y.Off) })
		s.files[anchorKey{it.Pos, it.Gen}] = as
	}
	return s, nil
}

// get returns a copy of k's anchors, oldest first.
func (s *anchorStore) get(k anchorKey) []anchor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.files[k])
}

// add records a and returns the version to wait for with waitDurable.
func (s *anchorStore) add(k anchorKey, a anchor) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.files[k]
	i, _ := slices.BinarySearchFunc(as, a.Off, func(x anchor, off int64) int { return cmp.Compare(x.Off, off) })
	if i < len(as) && as[i].Off == a.Off {
		as[i] = a // a retry for the same line, which was never sent
	} else {
		as = slices.Insert(as, i, a)
	}
	s.files[k] = as
	s.ver++
	return s.ver
}

// trim drops what k's anchors reserve from end on: no line starting there
// was sent (its harvester ended). It is not written at once: a crash before
// the next write only leaves the reservation, which is safe.
func (s *anchorStore) trim(k anchorKey, end int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	as := s.files[k]
	n := len(as)
	for n > 0 && as[n-1].Off >= end {
		n--
	}
	as = as[:n]
	if n > 0 {
		as[n-1].End = min(as[n-1].End, end)
	}
	if n == 0 {
		delete(s.files, k)
	} else {
		s.files[k] = as
	}
	s.ver++
}

// saved notes the positions on disk, the whole registry: anchors below
// them are pruned at the next write.
func (s *anchorStore) saved(list []*position) {
	s.mu.Lock()
	defer s.mu.Unlock()
	floors := make(map[string]anchorFloor, len(list))
	for _, e := range list {
		k := positionKey(e.Task, e.identity())
		f := anchorFloor{gen: e.Gen, off: e.Offset}
		if old, ok := s.floors[k]; !ok || old != f {
			s.ver++ // the next flush writes the pruned store
		}
		floors[k] = f
	}
	s.floors = floors
}

// forget drops every anchor of the file at position key pos: the registry
// forgot the file (gone longer than clean_removed).
func (s *anchorStore) forget(pos string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.files {
		if k.pos == pos {
			delete(s.files, k)
			s.ver++
		}
	}
}

// pruneLocked drops anchors no re-read line can need: those of older
// generations than the saved position, and those whose lines all lie below
// it. A line's anchor covers it up to the next anchor's offset.
func (s *anchorStore) pruneLocked() {
	for k, as := range s.files {
		f, ok := s.floors[k.pos]
		switch {
		case !ok || f.gen < k.gen:
			continue
		case f.gen > k.gen:
			delete(s.files, k)
			continue
		}
		i := 0
		for i < len(as) {
			covered := as[i].End
			if i+1 < len(as) {
				covered = min(covered, as[i+1].Off)
			}
			if covered > f.off {
				break
			}
			i++
		}
		if i == len(as) {
			delete(s.files, k)
		} else if i > 0 {
			s.files[k] = slices.Clone(as[i:])
		}
	}
}

// waitDurable returns once version v (or a later one) is on disk, writing
// it when no write is running. It returns the write's error, if the write
// that should have held v failed.
func (s *anchorStore) waitDurable(v uint64, done <-chan struct{}) error {
	for {
		s.mu.Lock()
		if s.durable >= v {
			s.mu.Unlock()
			return nil
		}
		if !s.writing {
			s.writing = true
			s.mu.Unlock()
			if err := s.write(); err != nil {
				return err
			}
			continue
		}
		ch := s.wrote
		s.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return errAnchorWait
		}
	}
}

var errAnchorWait = errors.New("stopped waiting for a time anchor")

// flush writes the store if it changed since its last write.
func (s *anchorStore) flush() error {
	s.mu.Lock()
	v := s.ver
	s.mu.Unlock()
	return s.waitDurable(v, nil)
}

// write writes the store; the caller set s.writing.
func (s *anchorStore) write() error {
	s.mu.Lock()
	s.pruneLocked()
	v := s.ver
	f := anchorsFile{Version: 1, Files: make([]anchorsFileItem, 0, len(s.files))}
	for k, as := range s.files {
		f.Files = append(f.Files, anchorsFileItem{Pos: k.pos, Gen: k.gen, Anchors: slices.Clone(as)})
	}
	s.mu.Unlock()
	slices.SortFunc(f.Files, func(x, y anchorsFileItem) int { return cmp.Or(cmp.Compare(x.Pos, y.Pos), cmp.Compare(x.Gen, y.Gen)) })
	b, err := json.Marshal(f)
	if err == nil {
		err = atomicfile.Write(s.path, b, 0o600)
	}
	s.writes.Add(1)
	if s.written != nil {
		s.written(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.durable = max(s.durable, v)
	}
	s.writing = false
	close(s.wrote)
	s.wrote = make(chan struct{})
	if err != nil {
		return fmt.Errorf("saving time anchors: %w", err)
	}
	return nil
}
