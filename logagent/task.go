package logagent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Task is one collection item: files matching Path are shipped to Topic. It
// is the JSON value of an etcd key /logagent/<agent-id|all>/tasks/<name>.
type Task struct {
	Path         string            `json:"path"`
	Topic        string            `json:"topic"`
	Exclude      []string          `json:"exclude,omitempty"`
	From         string            `json:"from,omitempty"`
	Multiline    *Multiline        `json:"multiline,omitempty"`
	MaxLineBytes int               `json:"max_line_bytes,omitempty"`
	Encoding     string            `json:"encoding,omitempty"`
	Fields       map[string]string `json:"fields,omitempty"`
}

// Where a task starts reading files it finds at its first scan.
const (
	FromBeginning = "beginning"
	FromEnd       = "end"
)

// topicRe is Kafka's legal topic name: at most 249 of [a-zA-Z0-9._-].
var topicRe = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// DecodeTask parses a task value strictly: unknown fields are errors.
func DecodeTask(raw []byte) (Task, error) {
	var t Task
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Task{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if dec.More() {
		return Task{}, errors.New("invalid JSON: trailing data after the task object")
	}
	return t, nil
}

// WithDefaults fills the optional fields.
func (t Task) WithDefaults() Task {
	if t.From == "" {
		t.From = FromBeginning
	}
	if t.Encoding == "" {
		t.Encoding = "utf-8"
	}
	if t.MaxLineBytes == 0 {
		t.MaxLineBytes = DefaultMaxLineBytes
	}
	return t
}

// Validate reports every problem of the task. allowed lists the directories
// tasks are confined to (empty: anywhere); symlinks in the path are resolved
// before the check, so a link cannot smuggle a task outside them.
func (t Task) Validate(allowed []string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	switch {
	case t.Path == "":
		bad("path", "required")
	case !filepath.IsAbs(t.Path):
		bad("path", "%q: must be absolute", t.Path)
	default:
		if _, err := filepath.Match(t.Path, ""); err != nil {
			bad("path", "%q: invalid glob: %v", t.Path, err)
		} else if err := checkAllowed(globBase(t.Path), allowed); err != nil {
			bad("path", "%v", err)
		}
	}
	if !topicRe.MatchString(t.Topic) || t.Topic == "." || t.Topic == ".." {
		bad("topic", "%q: want 1-249 characters of [a-zA-Z0-9._-]", t.Topic)
	}
	for _, x := range t.Exclude {
		if _, err := filepath.Match(x, ""); err != nil {
			bad("exclude", "%q: invalid glob: %v", x, err)
		}
	}
	if t.From != "" && t.From != FromBeginning && t.From != FromEnd {
		bad("from", "%q: want beginning or end", t.From)
	}
	if t.MaxLineBytes < 0 {
		bad("max_line_bytes", "must not be negative")
	}
	if _, err := newTextDecoder(t.Encoding); err != nil {
		bad("encoding", "%v", err)
	}
	if t.Multiline != nil {
		if err := t.Multiline.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for k := range t.Fields {
		if k == "" || strings.HasPrefix(k, "@") {
			bad("fields", "%q: keys must be non-empty and not start with @", k)
		}
	}
	return errors.Join(errs...)
}

// excluded reports whether path matches one of the task's exclude globs,
// tried against both the full path and the base name.
func (t Task) excluded(path string) bool { return t.excludedBy(path) != "" }

// excludedBy is the first exclude glob path matches, "" if none.
func (t Task) excludedBy(path string) string {
	for _, x := range t.Exclude {
		if ok, _ := filepath.Match(x, path); ok {
			return x
		}
		if ok, _ := filepath.Match(x, filepath.Base(path)); ok {
			return x
		}
	}
	return ""
}

// globBase is the longest leading directory of pattern without glob
// metacharacters.
func globBase(pattern string) string {
	dir := filepath.Dir(pattern)
	for strings.ContainsAny(dir, `*?[\`) {
		dir = filepath.Dir(dir)
	}
	return dir
}

// checkAllowed resolves symlinks in path (as far as it exists) and checks the
// result lies under one of allowed (also resolved).
func checkAllowed(path string, allowed []string) error {
	if len(allowed) == 0 {
		return nil
	}
	real := resolveExisting(path)
	for _, a := range allowed {
		ra := resolveExisting(filepath.Clean(a))
		if real == ra || strings.HasPrefix(real, strings.TrimSuffix(ra, "/")+"/") {
			return nil
		}
	}
	if real != filepath.Clean(path) {
		return fmt.Errorf("%q resolves to %q, outside allowed_paths %v", path, real, allowed)
	}
	return fmt.Errorf("%q is outside allowed_paths %v", path, allowed)
}

// resolveExisting resolves symlinks in the longest existing prefix of path
// and appends the rest unchanged, so a directory that does not exist yet can
// still be checked.
func resolveExisting(path string) string {
	path = filepath.Clean(path)
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				return filepath.Join(r, rest)
			}
			return path
		}
		if p == filepath.Dir(p) {
			return path
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}
