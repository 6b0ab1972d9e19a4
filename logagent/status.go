package logagent

import "github.com/logpipe/logpipe/conf"

// Status is the JSON the agent keeps at /logagent/<agent-id>/status, bound to
// a lease so it disappears when the agent does: `etcdctl get` tells whether an
// edit took, which tasks run and in what state, how far behind each task is,
// and which keys were refused and why.
//
// NOTE: etcd is shared by every agent and keeps every write until the
// compaction, so the key holds summaries only, bounded whatever the number of
// files and hours (maxStatusProblems, no per-file list, no ledger), and is
// rewritten only when it changed (the lease keeps it alive meanwhile). The
// bulky parts — every file's position (Files) and the audit ledger (Lines) —
// are served on the agent's HTTP address (HTTP): /status/files and
// /status/lines, where `logctl status` and `logctl audit` read them.
type Status struct {
	Agent      string `json:"agent"`
	Version    string `json:"version"`
	Rev        int64  `json:"applied_revision"`
	FromCache  bool   `json:"from_cache"`
	KafkaReady bool   `json:"kafka_ready"`
	// HTTP is the agent's ops address (host:port), for /status/files and
	// /status/lines; empty when [http] listen is off.
	HTTP     string       `json:"http,omitempty"`
	Tasks    []TaskStatus `json:"tasks"`
	Rejected []Rejection  `json:"rejected"`
	// InflightB is rounded (inflightRound) so that it changes the key
	// only when it moved noticeably.
	InflightB int64 `json:"inflight_bytes"`
	// UpdatedUnix is when the content last changed.
	UpdatedUnix int64 `json:"updated_unix"`
	// Lines counts lines read and acked per file generation and hour of
	// read time, for `logctl audit` (linecount.go). Only on /status/lines
	// (agents before the split put it in the key).
	Lines *LineCounts `json:"lines,omitempty"`
	// Reships are the agent's reships (reship.go), in summary; in full on
	// /status/reships.
	Reships []ReshipSummary `json:"reships,omitempty"`
}

// TaskStatus is one task in Status.
type TaskStatus struct {
	Name string `json:"name"`
	Task Task   `json:"task"`
	// Health is the task's state (running, waiting, failing), why, and
	// since when.
	conf.Health
	// OpenFiles and LagBytes sum the task's harvested files; LagBytes is
	// rounded like InflightB.
	OpenFiles int   `json:"open_files"`
	LagBytes  int64 `json:"lag_bytes"`
	// Files lists every harvested file. Only on /status/files (agents
	// before the split put it in the key).
	Files []FileStatus `json:"files,omitempty"`
	// Problems are matched files the task cannot ship (refused by
	// allowed_paths, permission denied, ...), with the reason: the first
	// maxStatusProblems in the key, all of them on /status/files.
	Problems []FileProblem `json:"problems,omitempty"`
	// ProblemCount is how many files have problems.
	ProblemCount int `json:"problem_count,omitempty"`
	// Waiting is how many matched files wait for a harvester
	// (harvester_limit).
	Waiting int `json:"waiting_files,omitempty"`
	// Lost sums what the task's files lost before it was shipped, with
	// the last loss (lost.go); each loss is on /status/lines.
	Lost *LostSummary `json:"lost,omitempty"`
}

// FileProblem is a matched file the task cannot ship, and why.
type FileProblem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// maxStatusProblems bounds the problems each task lists in the status key.
const maxStatusProblems = 8

// inflightRound is the granularity of the byte counts in the status key: a
// key rewritten for every byte acked would cost etcd a write per interval
// for nothing an operator reads.
const inflightRound = 64 << 10

func roundBytes(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return (n + inflightRound - 1) / inflightRound * inflightRound
}
