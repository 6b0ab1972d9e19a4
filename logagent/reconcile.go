package logagent

import (
	"context"
	"log/slog"
	"reflect"
	"sort"
	"sync"
)

// manager reconciles the running tasks with the desired set, by name.
//
// Contract: apply never blocks on I/O. Unchanged tasks are left alone; new
// ones start at once; removed ones drain (ship what their files held when the
// removal was applied) and stop; a changed one stops reading at once and its
// replacement starts when it is done, from the positions it left, so nothing
// acked is sent again. stopAll stops every
// runner and waits for them.
type manager struct {
	newRunner func(name string, t Task, prev *taskRunner) *taskRunner
	log       *slog.Logger
	ctx       context.Context // bounds the runners' waits for acks

	mu      sync.Mutex
	runners map[string]*taskRunner
	wg      sync.WaitGroup
}

func (m *manager) apply(tasks map[string]Task) (started, stopped, changed []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, r := range m.runners {
		t, keep := tasks[name]
		if keep && reflect.DeepEqual(t, r.task) {
			continue
		}
		delete(m.runners, name)
		if keep {
			// Stop at once: its successor resumes from the acked offsets
			// with the new settings, so no line is read under the old ones
			// after the edit was applied, and none acked is sent again.
			r.stop()
			changed = append(changed, name)
			m.start(name, t, r)
		} else {
			r.drain()
			stopped = append(stopped, name)
		}
	}
	for name, t := range tasks {
		if _, ok := m.runners[name]; !ok {
			started = append(started, name)
			m.start(name, t, nil)
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(changed)
	return started, stopped, changed
}

func (m *manager) start(name string, t Task, prev *taskRunner) {
	r := m.newRunner(name, t, prev)
	m.runners[name] = r
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		r.run(m.ctx)
	}()
}

// snapshot returns the running runners, by name.
func (m *manager) snapshot() []*taskRunner {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*taskRunner, 0, len(m.runners))
	for _, r := range m.runners {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// stopAll stops every runner (including ones still draining) and waits.
func (m *manager) stopAll() {
	m.mu.Lock()
	for _, r := range m.runners {
		r.stop()
	}
	m.mu.Unlock()
	m.wg.Wait()
}
