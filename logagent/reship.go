package logagent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// Reships (补录): an operator asks the agent to send a byte range of one
// file again, with the ids it had (lp.id = file id + offset, the file id
// from the file's identity and generation, fileid.go), so that what the
// index already holds collapses (create-only writes answer 409) and only a
// window the cloud Kafka no longer holds is filled.
//
//	logctl reship add ──▶ /logagent/<id>/reship/<name> ──▶ reshipRunner
//	  (one conf.Supervisor unit each, its own share of the byte budget)
//	  ──▶ producer ──▶ Kafka; state and counts in the status key, the
//	  details on /status/reships.
//
// A reship is refused (state "refused", with the reason) for a file outside
// allowed_paths after symlinks, gone, or no longer the file the agent
// shipped (replaced, rewritten, or another generation than the file_id
// asked for): its ids would be wrong. It re-sends only what Kafka acked
// before (up to the file's saved position): later lines are its harvester's.
//
// lp.ts: a line keeps the time its time anchor gave it (anchors.go) when the
// anchors still cover it. They are pruned once the position passed them, so
// for an old range they usually do not; such a line gets the start of the
// hour it was counted in when the audit ledger (linecount.go) accounts for
// every line of the generation from its start, else the reship's start time
// (see reshipstamp.go). Where lp.ts is not the original one, a raw route
// (index by lp.ts) may put the line into another daily index than its
// first copy, where it is not a duplicate by _id.
const reshipDir = "/reship/"

// ReshipKey is the etcd key of reship name for agent.
func ReshipKey(agent, name string) string { return KeyRoot + agent + reshipDir + name }

// ReshipPrefix is the etcd prefix of agent's reships.
func ReshipPrefix(agent string) string { return KeyRoot + agent + reshipDir }

// Reship is one reship request, the JSON value of its key.
type Reship struct {
	// Path is the file to read, absolute.
	Path string `json:"path"`
	// From and To bound the range: the lines starting in [From, To). A
	// From inside a line moves to the next line's start; To 0 (or past
	// the file's saved position) means up to the saved position.
	From int64 `json:"from_offset"`
	To   int64 `json:"to_offset,omitempty"`
	// Topic overrides the task's topic (e.g. a fresh topic).
	Topic string `json:"topic,omitempty"`
	// Task names the task whose position, framing and fields apply when
	// several tasks shipped the file.
	Task string `json:"task,omitempty"`
	// FileID, when set, must be the file's record file id now (as the
	// status and the audit show it): a file rotated or truncated since
	// has another, and the reship is refused.
	FileID string `json:"file_id,omitempty"`
	// FromTime and ToTime, instead of offsets, ask for the lines whose
	// lp.ts falls in [FromTime, ToTime), rounded out to whole UTC hours:
	// the audit ledger (linecount.go) maps them to offsets, and only when
	// its counts account for every line of the file (reshipstamp.go).
	FromTime time.Time `json:"from_time,omitzero"`
	ToTime   time.Time `json:"to_time,omitzero"`
}

// DecodeReship decodes a reship value strictly (unknown fields are errors).
func DecodeReship(b []byte) (Reship, error) {
	var r Reship
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return Reship{}, fmt.Errorf("invalid reship JSON: %w", err)
	}
	return r, r.Validate()
}

// Validate reports every problem of r.
func (r Reship) Validate() error {
	var errs []error
	if !filepath.IsAbs(r.Path) {
		errs = append(errs, fmt.Errorf("path: %q is not absolute", r.Path))
	}
	if r.From < 0 {
		errs = append(errs, errors.New("from_offset: negative"))
	}
	if r.To != 0 && r.To <= r.From {
		errs = append(errs, fmt.Errorf("to_offset: %d is not past from_offset %d", r.To, r.From))
	}
	switch {
	case r.FromTime.IsZero() != r.ToTime.IsZero():
		errs = append(errs, errors.New("from_time and to_time: give both, or neither"))
	case !r.FromTime.IsZero() && (r.From != 0 || r.To != 0):
		errs = append(errs, errors.New("from_time/to_time exclude from_offset/to_offset"))
	case !r.FromTime.IsZero() && !r.ToTime.After(r.FromTime):
		errs = append(errs, fmt.Errorf("to_time: %s is not after from_time %s", r.ToTime.Format(time.RFC3339), r.FromTime.Format(time.RFC3339)))
	}
	return errors.Join(errs...)
}

// isReshipKey reports whether k is one of agent's reship keys.
func isReshipKey(agent, k string) bool {
	p := ReshipPrefix(agent)
	return strings.HasPrefix(k, p) && len(k) > len(p)
}

// reshipSpec is what a reship unit runs: the request, or why its value was
// refused (the unit then only reports it).
type reshipSpec struct {
	Reship
	Invalid string
}

// splitReships takes agent's reship keys out of s: the task resolver sees
// only task keys.
func splitReships(agent string, s conf.Snapshot) (conf.Snapshot, map[string]reshipSpec) {
	tasks := conf.Snapshot{Rev: s.Rev, Cached: s.Cached, KVs: make(map[string]string, len(s.KVs))}
	reships := map[string]reshipSpec{}
	for k, v := range s.KVs {
		if !isReshipKey(agent, k) {
			tasks.KVs[k] = v
			continue
		}
		r, err := DecodeReship([]byte(v))
		spec := reshipSpec{Reship: r}
		if err != nil {
			spec.Invalid = err.Error()
		}
		reships[strings.TrimPrefix(k, ReshipPrefix(agent))] = spec
	}
	return tasks, reships
}
