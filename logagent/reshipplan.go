package logagent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// reshipPlan is a checked reship: the open file, which generation of it the
// agent shipped, and the range to send again.
type reshipPlan struct {
	f        *os.File
	id       fileIdentity
	pos      position // the file's saved position for task
	fileID   string
	task     string
	framer   FramerConfig
	topic    string
	fields   map[string]string
	from, to int64
	anchors  []anchor // the generation's time anchors still kept
	// hours are the generation's acked lines per hour of lp.ts, from the
	// audit ledger, read together with pos (reshipstamp.go).
	hours []hourCount
}

// refusef is why a reship is refused (its state says it is).
func refusef(format string, args ...any) error { return fmt.Errorf(format, args...) }

// planReship checks r against the file on disk and what the agent shipped
// of it. The caller closes plan.f.
func (a *Agent) planReship(r Reship) (*reshipPlan, error) {
	if err := checkAllowed(r.Path, a.cfg.Agent.AllowedPaths); err != nil {
		return nil, refusef("%v", err)
	}
	f, err := os.Open(r.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, refusef("file gone: %s", r.Path)
	}
	if err != nil {
		return nil, refusef("cannot open: %v", err)
	}
	p, err := a.planFile(f, r)
	if err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

func (a *Agent) planFile(f *os.File, r Reship) (*reshipPlan, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, refusef("%s is not a regular file", r.Path)
	}
	id, ok, err := identify(f)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refusef("%s has no complete first line: the agent never shipped it", r.Path)
	}
	pos, hours, err := a.pos.shippedAs(a.cfg.Agent.ID, id, r)
	if err != nil {
		return nil, err
	}
	p := &reshipPlan{f: f, id: id, pos: pos, task: pos.Task, fileID: recordFileID(a.cfg.Agent.ID, id, pos.Gen),
		topic: r.Topic, from: r.From, to: r.To, hours: hours}
	if r.FileID != "" && r.FileID != p.fileID {
		return nil, refusef("file id is now %s, not %s: the file was rotated, replaced or truncated since, its lines would get other ids", p.fileID, r.FileID)
	}
	if fi.Size() < pos.Offset {
		return nil, refusef("file is shorter (%d bytes) than its saved position %d: truncated since", fi.Size(), pos.Offset)
	}
	for _, u := range a.tasks.Units() {
		if u.Name == p.task {
			t := u.Unit
			p.framer, p.fields = t.framerConfig(), t.task.Fields
			if p.topic == "" {
				p.topic = t.task.Topic
			}
		}
	}
	if p.topic == "" {
		return nil, refusef("task %q no longer runs: give the topic", p.task)
	}
	if p.to == 0 || p.to > pos.Offset {
		p.to = pos.Offset // later lines were never acked: its harvester sends them
	}
	if p.from, err = lineStart(f, p.from); err != nil {
		return nil, err
	}
	if p.from >= p.to {
		return nil, refusef("nothing acked to send again in [%d, %d): the file's saved position is %d", r.From, p.to, pos.Offset)
	}
	p.anchors = a.pos.anchors.get(anchorKey{positionKey(p.task, id), pos.Gen})
	return p, nil
}

// shippedAs finds the saved position of the file identified by id, for
// r.Task when set, and says why there is none. hours are the acked lines
// the audit ledger holds for that generation, consistent with the position
// (saved under the same lock, linecount.go).
func (p *positions) shippedAs(agent string, id fileIdentity, r Reship) (position, []hourCount, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pos, err := p.shippedLocked(id, r)
	if err != nil {
		return pos, nil, err
	}
	return pos, p.hoursLocked(recordFileID(agent, id, pos.Gen)), nil
}

func (p *positions) shippedLocked(id fileIdentity, r Reship) (position, error) {
	var match []position
	var other *position
	for _, e := range p.entries {
		switch {
		case e.Dev == id.Dev && e.Ino == id.Ino && e.FP == id.FP && e.FPLen == id.FPLen:
			if r.Task == "" || e.Task == r.Task {
				match = append(match, *e)
			}
		case e.Path == r.Path || (e.Dev == id.Dev && e.Ino == id.Ino):
			other = e
		}
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(match) > 1:
		tasks := make([]string, len(match))
		for i, m := range match {
			tasks[i] = m.Task
		}
		sort.Strings(tasks)
		return position{}, refusef("shipped by tasks %s: say which with task", strings.Join(tasks, ", "))
	case other != nil && (other.Dev != id.Dev || other.Ino != id.Ino):
		return position{}, refusef("file replaced since it was shipped: %s is inode %d now, the agent shipped inode %d", r.Path, id.Ino, other.Ino)
	case other != nil:
		return position{}, refusef("file rewritten since it was shipped: its first line changed")
	case r.Task != "":
		return position{}, refusef("task %q has no position for this file", r.Task)
	}
	return position{}, refusef("the agent has no position for this file: never shipped, or forgotten after clean_removed")
}

// lineStart returns off, or the start of the next line when off is inside
// one: a range cut mid-line would send a piece under a wrong id.
func lineStart(f *os.File, off int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	buf := make([]byte, 64<<10)
	for pos := off - 1; ; {
		n, err := f.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		if err == io.EOF {
			return pos + int64(n), nil
		}
		if err != nil {
			return 0, err
		}
		pos += int64(n)
	}
}
