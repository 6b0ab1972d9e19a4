package logagent

import (
	"bytes"
	"context"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// taskRunner runs one task: it scans the task's glob and starts a harvester
// per file identity; each harvester keeps its file's acked position in the
// registry (progress.go). It is the agent's conf.Unit: one failure domain,
// supervised by conf.Supervisor, owning its share of the read slots and
// in-flight bytes (share.go) and its Condition (taskhealth.go).
//
// Contract: Run returns after Stop, once every harvester returned. Stop(false)
// makes harvesters stop reading at once; Stop(true) lets them read what their
// files hold now first (a removed task ships what was written). Either way
// positions are final when Run returns. The supervisor starts a changed
// task's replacement only after Run returned, so two runners never ship the
// same lines.
type taskRunner struct {
	name     string
	task     Task
	cfg      Settings
	agent    string
	budget   *flow.Budget
	shares   *shares
	link     *taskLink // the task's share and health, carried by its records
	producer *producer
	pos      *positions
	anchors  *anchorStore
	metrics  *Metrics
	tm       *taskMetrics
	waiter   changeWaiter
	log      *slog.Logger

	mu         sync.Mutex
	harvesters map[devIno]*harvester
	known      map[devIno]knownFile
	// problems are the matched files the last scan could not ship, with
	// why: shown in the status key and logged once when they appear.
	problems map[string]string
	// waiting counts files the last scan left unopened because the task
	// had harvester_limit harvesters; while any wait, a harvester at the end
	// of a file that stopped growing closes at once to make room.
	waiting atomic.Int32
	lost    taskLost // losses between scans (lost.go)

	stopCh  chan struct{}
	drainCh chan struct{}
	once    sync.Once
	hwg     sync.WaitGroup
}

// knownFile lets a scan skip a file that has not changed since its position
// was last saved, without opening it.
type knownFile struct {
	key    string // positions key
	size   int64
	mtime  time.Time
	offset int64
}

func (t *taskRunner) framerConfig() FramerConfig {
	return FramerConfig{MaxLineBytes: t.task.MaxLineBytes, Encoding: t.task.Encoding, Multiline: t.task.Multiline}
}

// Stop implements conf.Unit; the first call decides between stop and drain.
func (t *taskRunner) Stop(drain bool) {
	t.once.Do(func() {
		if drain {
			close(t.drainCh)
		} else {
			close(t.stopCh)
		}
	})
}

// Health implements conf.Unit.
func (t *taskRunner) Health() conf.Health { return t.link.health.cond.Health() }

// Run implements conf.Unit: it scans until stopped; ctx bounds how long
// harvesters wait for acks. Stopped before it started (a task changed or
// removed again while its predecessor was stopping), it returns at once.
func (t *taskRunner) Run(ctx context.Context) {
	if closed(t.stopCh) || closed(t.drainCh) {
		return
	}
	t.link.share = t.shares.join()
	defer func() { t.shares.leave(t.link.share) }()
	watchDone := make(chan struct{})
	go t.watchTopic(ctx, watchDone)
	defer close(watchDone)
	tick := newTickTimer(t.cfg.ScanFrequency)
	defer tick.stop()
	first := !t.pos.taskStarted(t.name)
	for {
		t.scan(ctx, first)
		if first {
			t.pos.markStarted(t.name)
			first = false
		}
		t.refreshLive(time.Now())
		select {
		case <-tick.C():
			tick.next()
			t.link.health.settle()
			continue
		case <-t.stopCh:
			t.endHarvesters((*harvester).stop)
		case <-t.drainCh:
			t.endHarvesters((*harvester).drain)
		case <-ctx.Done():
			t.endHarvesters((*harvester).stop)
		}
		t.hwg.Wait()
		return
	}
}

func (t *taskRunner) endHarvesters(end func(*harvester)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, h := range t.harvesters {
		end(h)
	}
}

// scan matches the glob and starts harvesters for files with unread data.
func (t *taskRunner) scan(ctx context.Context, first bool) {
	matches, err := filepath.Glob(t.task.Path)
	if err != nil {
		t.log.Error("glob failed", "err", err)
		return
	}
	sort.Strings(matches)
	now := time.Now()
	problems := map[string]string{}
	defer t.setProblems(problems)
	waiting := int32(0)
	defer func() { t.waiting.Store(waiting) }()
	found := map[devIno]bool{}
	defer t.vanished(found)
	for _, p := range matches {
		if t.task.excluded(p) {
			continue
		}
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		di := statDevIno(fi)
		found[di] = true
		t.mu.Lock()
		h := t.harvesters[di]
		kf, isKnown := t.known[di]
		t.mu.Unlock()
		if h != nil {
			h.path.Store(&p)
			h.lastSeen.Store(now.UnixNano())
			t.lost.observe(di, fi.Size())
			continue
		}
		if isKnown && kf.size == fi.Size() && kf.mtime.Equal(fi.ModTime()) && kf.offset == fi.Size() {
			t.pos.touch(kf.key, now)
			continue // unchanged since its position was saved
		}
		if err := checkAllowed(p, t.cfg.AllowedPaths); err != nil {
			t.problem(problems, p, "file refused", err)
			continue
		}
		if t.atLimit() {
			waiting++ // the glob is sorted: older hourly files open first
			continue
		}
		if err := t.open(ctx, p, fi, first, now); err != nil {
			t.problem(problems, p, "cannot open file", err)
		}
	}
}

// open identifies the file at p and starts its harvester if it has lines
// past its saved position.
func (t *taskRunner) open(ctx context.Context, p string, fi os.FileInfo, first bool, now time.Time) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	id, ok, err := identify(f)
	if err != nil || !ok || id.devIno != statDevIno(fi) {
		f.Close() // no complete first line yet, or replaced since stat
		return nil
	}
	pos, found := t.pos.get(t.name, id)
	if !found {
		pos = position{Task: t.name, Dev: id.Dev, Ino: id.Ino, FP: id.FP, FPLen: id.FPLen}
		if first && t.task.From == FromEnd {
			pos.Offset = lastLineEnd(f, fi.Size())
		}
	} else if fi.Size() < pos.Offset {
		t.log.Info("file shrank while not watched, starting a new generation", "path", p, "size", fi.Size(), "offset", pos.Offset)
		t.shrunk(pos)
		pos.Gen++
		pos.Offset = 0
	}
	pos.Path, pos.Size, pos.Seen = p, fi.Size(), now
	t.pos.put(pos)
	di := id.devIno
	if pos.Offset >= fi.Size() {
		t.mu.Lock()
		t.known[di] = knownFile{key: positionKey(t.name, id), size: fi.Size(), mtime: fi.ModTime(), offset: pos.Offset}
		t.mu.Unlock()
		f.Close()
		return nil
	}
	fileID := recordFileID(t.agent, id, pos.Gen)
	h := &harvester{
		task: t, f: f, id: id, gen: pos.Gen, fileID: fileID,
		tracker: flow.NewTracker(pos.Offset), readOff: pos.Offset,
		rb:     newRecordBuilder(t.task.Topic, t.agent, fileID, p, t.task.Fields),
		log:    t.log.With("file", p, "file_id", fileID),
		stopCh: make(chan struct{}), drainCh: make(chan struct{}), done: make(chan struct{}),
	}
	h.stamp = newStamper(t.anchors, anchorKey{positionKey(t.name, id), pos.Gen}, pos.Offset, h.log)
	h.counts = t.pos.lineCounts(t.name, fileID, p, h.tracker)
	h.path.Store(&p)
	h.lastSeen.Store(now.UnixNano())
	h.size.Store(fi.Size())
	t.mu.Lock()
	t.harvesters[di] = h
	delete(t.known, di)
	t.mu.Unlock()
	t.lost.take(di) // sizes seen by an earlier harvester's scans
	t.metrics.OpenFiles.Inc()
	h.log.Info("harvesting", "offset", pos.Offset, "size", fi.Size(), "gen", pos.Gen)
	t.hwg.Add(1)
	go func() {
		defer t.hwg.Done()
		h.run(ctx)
		t.finished(h)
	}()
	return nil
}

// finished forgets a harvester, which published its final position.
func (t *taskRunner) finished(h *harvester) {
	t.metrics.OpenFiles.Dec()
	acked, _ := h.tracker.Position()
	t.mu.Lock()
	delete(t.harvesters, h.id.devIno)
	t.mu.Unlock()
	t.metrics.FileLag.DeleteLabelValues(t.name, h.getPath())
	h.log.Info("harvester closed", "reason", h.result.String(), "offset", acked)
}

// FileStatus is one harvested file in the agent's status.
type FileStatus struct {
	Path    string `json:"path"`
	FileID  string `json:"file_id"`
	Acked   int64  `json:"acked_offset"`
	Size    int64  `json:"size"`
	LagByte int64  `json:"lag_bytes"`
}

func (t *taskRunner) files() []FileStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]FileStatus, 0, len(t.harvesters))
	for _, h := range t.harvesters {
		acked, _ := h.tracker.Position()
		size := h.knownSize()
		out = append(out, FileStatus{Path: h.getPath(), FileID: h.fileID, Acked: acked, Size: size, LagByte: max(size-acked, 0)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// atLimit reports whether the task runs harvester_limit harvesters.
func (t *taskRunner) atLimit() bool {
	if t.cfg.HarvesterLimit <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.harvesters) >= t.cfg.HarvesterLimit
}

// problem notes that the file at path cannot be shipped, logging it when
// the previous scan did not already know.
func (t *taskRunner) problem(next map[string]string, path, msg string, err error) {
	next[path] = msg + ": " + err.Error()
	t.mu.Lock()
	_, known := t.problems[path]
	t.mu.Unlock()
	if !known {
		t.log.Warn(msg, "file", path, "err", err)
	}
}

// setProblems replaces what the previous scan found: a file fixed or gone
// drops out of the status.
func (t *taskRunner) setProblems(p map[string]string) {
	t.mu.Lock()
	t.problems = p
	t.mu.Unlock()
	t.tm.problems.Set(float64(len(p)))
}

// fileProblems lists the problems for the status key, by path.
func (t *taskRunner) fileProblems() []FileProblem {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]FileProblem, 0, len(t.problems))
	for p, why := range t.problems {
		out = append(out, FileProblem{Path: p, Error: why})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// lastLineEnd is the offset just past the last LF before size, so from=end
// never starts in the middle of a line being written.
func lastLineEnd(f *os.File, size int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := size; end > 0; {
		start := max(end-chunk, 0)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return size
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1
		}
		end = start
	}
	return 0
}

func (r harvestResult) String() string {
	switch r {
	case resultStopped:
		return "stopped"
	case resultInactive:
		return "inactive"
	case resultGone:
		return "gone"
	case resultTruncated:
		return "truncated"
	default:
		return "error"
	}
}
