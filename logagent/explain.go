package logagent

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/logpipe/logpipe/conf"
)

// Explanation is the agent's account of why one file is or is not shipped,
// served on its HTTP address as /status/explain?path=P (`logctl explain`).
// It is worked out on request with the code a scan runs (glob, excludes,
// checkAllowed, open, identify, the positions registry) and what the tasks
// hold now (harvesters, problems, harvester_limit), as the agent's user: a
// file it cannot read is one the agent cannot read.
type Explanation struct {
	Agent string `json:"agent"`
	Path  string `json:"path"`
	// Resolved is Path with its symlinks resolved, when it differs.
	Resolved string `json:"resolved,omitempty"`
	// StatError says why Path is no regular file the agent can stat.
	StatError string `json:"stat_error,omitempty"`
	Size      int64  `json:"size"`
	ModUnix   int64  `json:"mod_unix,omitempty"`
	// The [agent] settings that decide: 0 harvester_limit is no cap.
	AllowedPaths   []string `json:"allowed_paths,omitempty"`
	HarvesterLimit int      `json:"harvester_limit"`
	CloseInactive  Duration `json:"close_inactive"`
	ScanFrequency  Duration `json:"scan_frequency"`
	// Live is false when no running agent worked it out: logctl explained
	// it on its own host from the tasks in etcd and the agent's registry
	// (Explain), and nothing ships the file now.
	Live  bool              `json:"live"`
	Tasks []TaskExplanation `json:"tasks"`
}

// States of a file for one task (TaskExplanation.State). Only
// ExplainShipping and ExplainShipped mean the task ships it.
const (
	ExplainNotMatched  = "not_matched"   // the task's glob does not match the path
	ExplainExcluded    = "excluded"      // one of the task's exclude globs matches
	ExplainAbsent      = "absent"        // no regular file there
	ExplainRefused     = "refused"       // outside allowed_paths, symlinks resolved
	ExplainUnreadable  = "unreadable"    // the agent's user cannot open or read it
	ExplainNoFirstLine = "no_first_line" // no complete first line: nothing to ship yet
	ExplainWaiting     = "waiting"       // harvester_limit harvesters are open
	ExplainPending     = "pending"       // the next scan opens it
	ExplainStopped     = "stopped"       // unshipped bytes, and no agent runs
	ExplainShipping    = "shipping"      // a harvester has it open
	ExplainShipped     = "shipped"       // acked to its end, closed until it grows
)

// TaskExplanation is what one task makes of the file.
type TaskExplanation struct {
	Task  string `json:"task"`
	Glob  string `json:"glob"`
	Topic string `json:"topic"`
	State string `json:"state"`
	// Reason says why, in words (the exclude glob, the refusal, the error).
	Reason string `json:"reason,omitempty"`
	// Identity is the file as the task knows it, once it could read it.
	Identity *Identity `json:"identity,omitempty"`
	// Acked is the offset Kafka acknowledged every line before.
	Acked int64 `json:"acked_offset"`
	// Harvesters is how many files the task has open.
	Harvesters int `json:"harvesters"`
	// Health is the task's state, its last trouble and since when.
	Health conf.Health `json:"health"`
}

// Identity is how the agent identifies a file: see fileIdentity and
// recordFileID.
type Identity struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"inode"`
	// Fingerprint is a hash of the first FPLen bytes (the first line).
	Fingerprint string `json:"fingerprint"`
	FPLen       int    `json:"fingerprint_bytes"`
	// Gen counts the file's truncations seen; FileID prefixes its records'
	// lp.id.
	Gen    int    `json:"generation"`
	FileID string `json:"file_id"`
}

// Ships reports whether the task ships the file (or has shipped all of it):
// an open file of a task that is not running (a missing topic, a refused
// ACL) has stalled.
func (e TaskExplanation) Ships() bool {
	return e.State == ExplainShipped || e.State == ExplainShipping && !e.Stalled()
}

// Stalled reports whether the file is open but its task is waiting or
// failing.
func (e TaskExplanation) Stalled() bool {
	return e.State == ExplainShipping && e.Health.State != "" && e.Health.Degraded()
}

// fileView is the stat of the path explained, shared by every task.
type fileView struct {
	path    string
	fi      os.FileInfo
	statErr error
}

func statView(p string) fileView {
	fi, err := os.Stat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file (" + fi.Mode().Type().String() + ")")
	}
	return fileView{path: p, fi: fi, statErr: err}
}

// head fills what does not depend on the tasks.
func (v fileView) head(agent string, s Settings) Explanation {
	ex := Explanation{Agent: agent, Path: v.path, AllowedPaths: s.AllowedPaths, HarvesterLimit: s.HarvesterLimit,
		CloseInactive: Duration(s.CloseInactive), ScanFrequency: Duration(s.ScanFrequency)}
	if v.statErr == errNotExamined {
		ex.StatError = v.statErr.Error()
		return ex
	}
	if r := resolveExisting(v.path); r != v.path {
		ex.Resolved = r
	}
	if v.statErr != nil {
		ex.StatError = v.statErr.Error()
	} else {
		ex.Size, ex.ModUnix = v.fi.Size(), v.fi.ModTime().Unix()
	}
	return ex
}

// explainScan is what a scan of task t makes of the file, up to reading its
// identity; ok says it got that far, and the caller decides the rest from
// the task's positions.
func explainScan(name string, t Task, allowed []string, v fileView) (e TaskExplanation, id fileIdentity, ok bool) {
	e = TaskExplanation{Task: name, Glob: t.Path, Topic: t.Topic}
	if m, _ := filepath.Match(t.Path, v.path); !m {
		e.State = ExplainNotMatched
		return e, id, false
	}
	if x := t.excludedBy(v.path); x != "" {
		e.State, e.Reason = ExplainExcluded, "exclude glob "+x
		return e, id, false
	}
	if v.statErr != nil {
		e.State, e.Reason = ExplainAbsent, v.statErr.Error()
		return e, id, false
	}
	if err := checkAllowed(v.path, allowed); err != nil {
		e.State, e.Reason = ExplainRefused, err.Error()
		return e, id, false
	}
	f, err := os.Open(v.path)
	if err != nil {
		e.State, e.Reason = ExplainUnreadable, err.Error()
		return e, id, false
	}
	defer f.Close()
	id, ok, err = identify(f)
	switch {
	case err != nil:
		e.State, e.Reason = ExplainUnreadable, err.Error()
		return e, id, false
	case !ok:
		e.State = ExplainNoFirstLine
		e.Reason = "no complete first line yet: its identity (the fingerprint of its first line) is not settled"
		return e, id, false
	}
	e.Identity = &Identity{Dev: id.Dev, Ino: id.Ino, Fingerprint: id.FP, FPLen: id.FPLen}
	return e, id, true
}

// fromPosition decides between shipped and unshipped from a saved
// position; notShipped is the state of a file with bytes past it.
func (e *TaskExplanation) fromPosition(agent string, id fileIdentity, pos position, found bool, size int64, notShipped, why string) {
	e.Identity.Gen, e.Identity.FileID = pos.Gen, recordFileID(agent, id, pos.Gen)
	e.Acked = pos.Offset
	switch {
	case found && pos.Offset == size:
		e.State, e.Reason = ExplainShipped, "acked to its end; reopened when it grows"
	case found && pos.Offset > size:
		e.State, e.Reason = notShipped, "shrank below its acked offset: read again as generation "+strconv.Itoa(pos.Gen+1)
		e.Identity.Gen++
		e.Identity.FileID, e.Acked = recordFileID(agent, id, e.Identity.Gen), 0
	default:
		e.State, e.Reason = notShipped, why
	}
}

// explain is what the running task makes of the file now.
func (t *taskRunner) explain(v fileView) TaskExplanation {
	e, id, ok := explainScan(t.name, t.task, t.cfg.AllowedPaths, v)
	e.Health = t.Health()
	t.mu.Lock()
	e.Harvesters = len(t.harvesters)
	var h *harvester
	if ok {
		h = t.harvesters[id.devIno]
	}
	problem := t.problems[v.path]
	t.mu.Unlock()
	if !ok {
		return e
	}
	if h != nil && h.id == id {
		acked, _ := h.tracker.Position()
		e.State, e.Acked = ExplainShipping, acked
		e.Identity.Gen, e.Identity.FileID = h.gen, h.fileID
		return e
	}
	state, why := ExplainPending, "not opened yet: the next scan opens it (every "+t.cfg.ScanFrequency.String()+")"
	switch {
	case problem != "":
		state, why = ExplainUnreadable, problem // what the last scan met
	case t.atLimit():
		state = ExplainWaiting
		why = strconv.Itoa(e.Harvesters) + " of harvester_limit " + strconv.Itoa(t.cfg.HarvesterLimit) +
			" open; files wait oldest name first, and an open one closes at its end to make room"
	}
	pos, found := t.pos.get(t.name, id)
	e.fromPosition(t.agent, id, pos, found, v.fi.Size(), state, why)
	return e
}

// explain is /status/explain for the path p.
//
// NOTE: whoever reaches the HTTP address may ask about any path, so the
// agent looks at the file (stat, symlinks, open) only when a task's glob
// matches it: a path no task names is not examined.
func (a *Agent) explain(p string) Explanation {
	units := a.tasks.Units()
	named := false
	for _, u := range units {
		if m, _ := filepath.Match(u.Unit.task.Path, p); m {
			named = true
		}
	}
	v := fileView{path: p, statErr: errNotExamined}
	if named {
		v = statView(p)
	}
	ex := v.head(a.cfg.Agent.ID, a.cfg.Agent)
	ex.Live = true
	for _, u := range units {
		ex.Tasks = append(ex.Tasks, u.Unit.explain(v))
	}
	sortTasks(ex.Tasks)
	return ex
}

// errNotExamined is the stat error of a path no task matches.
var errNotExamined = errors.New("not examined: no task matches it")

// Explain is what agent would make of the file at p with tasks (resolved
// from etcd by ResolveTasks) when it is not running, on this host as the
// current user: the scan's checks, and its saved position from s.StateDir
// (a file with bytes past it is ExplainStopped). Live is false.
func Explain(agent string, s Settings, tasks map[string]Task, p string) Explanation {
	v := statView(filepath.Clean(p))
	ex := v.head(agent, s)
	pos, err := loadPositions(filepath.Join(s.StateDir, positionsFile))
	for name, t := range tasks {
		e, id, ok := explainScan(name, t, s.AllowedPaths, v)
		if ok {
			why := "the agent is not running"
			if err != nil {
				why += "; its registry: " + err.Error()
			}
			var saved position
			found := false
			if err == nil {
				saved, found = pos.get(name, id)
			}
			e.fromPosition(agent, id, saved, found, v.fi.Size(), ExplainStopped, why)
		}
		ex.Tasks = append(ex.Tasks, e)
	}
	sortTasks(ex.Tasks)
	return ex
}

// ResolveTasks resolves the task keys of kvs (key → value, as read under
// the prefixes agent follows) as agent does: its own task wins over the one
// for all agents of the same name, collect_config items are named by
// content, invalid values are rejected with the reason.
func ResolveTasks(agent string, allowed []string, kvs map[string]string) (map[string]Task, []Rejection) {
	keep := isTaskKey(agent)
	snap := conf.Snapshot{KVs: map[string]string{}}
	for k, v := range kvs {
		if keep(k) {
			snap.KVs[k] = v
		}
	}
	return newTaskResolver(agent, allowed).resolve(snap)
}

// WatchPrefixes are the etcd prefixes agent reads its tasks from.
func WatchPrefixes(agent string) []string { return watchPrefixes(agent) }

func sortTasks(ts []TaskExplanation) {
	slices.SortFunc(ts, func(a, b TaskExplanation) int { return strings.Compare(a.Task, b.Task) })
}

// explainHandler is /status/explain?path=P (an absolute path).
func (a *Agent) explainHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("path")
		if !filepath.IsAbs(p) {
			http.Error(w, "path: want an absolute path", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(a.explain(filepath.Clean(p)))
	}
}
