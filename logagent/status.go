package logagent

import "github.com/logpipe/logpipe/conf"

// Status is the JSON the agent keeps at /logagent/<agent-id>/status, bound to
// a lease so it disappears when the agent does: `etcdctl get` tells whether an
// edit took, which tasks run, how far each file is shipped, and which keys
// were refused and why.
type Status struct {
	Agent       string       `json:"agent"`
	Version     string       `json:"version"`
	Rev         int64        `json:"applied_revision"`
	FromCache   bool         `json:"from_cache"`
	KafkaReady  bool         `json:"kafka_ready"`
	Tasks       []TaskStatus `json:"tasks"`
	Rejected    []Rejection  `json:"rejected"`
	InflightB   int64        `json:"inflight_bytes"`
	UpdatedUnix int64        `json:"updated_unix"`
	// Lines counts lines read and acked per file generation and hour of
	// read time, for `logctl audit` (linecount.go).
	Lines *LineCounts `json:"lines,omitempty"`
}

// TaskStatus is one task in Status.
type TaskStatus struct {
	Name string `json:"name"`
	Task Task   `json:"task"`
	// Health is the task's state (running, waiting, failing), why, and
	// since when.
	conf.Health
	Files []FileStatus `json:"files"`
	// Problems are matched files the task cannot ship (refused by
	// allowed_paths, permission denied, ...), with the reason.
	Problems []FileProblem `json:"problems,omitempty"`
	// Waiting is how many matched files wait for a harvester
	// (harvester_limit).
	Waiting int `json:"waiting_files,omitempty"`
}

// FileProblem is a matched file the task cannot ship, and why.
type FileProblem struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}
