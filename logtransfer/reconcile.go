package logtransfer

import (
	"context"
	"reflect"
	"sort"
	"sync"
)

// manager reconciles the running routes with the desired set, by name.
//
// Contract: apply returns quickly. Unchanged routes are left alone; new ones
// start; removed ones drain (in-flight bulks finish, offsets are committed)
// and stop in the background; a changed one drains and its replacement starts
// when it is done, from the offsets it committed. stopAll drains every route
// until ctx and waits for them.
type manager struct {
	ctx       context.Context // routes consume under it
	drainFor  func() (context.Context, context.CancelFunc)
	newRunner func(name string, r Route) *runner

	mu      sync.Mutex
	runners map[string]*runner
	wg      sync.WaitGroup
}

func (m *manager) apply(routes map[string]Route) (started, stopped, changed []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, r := range m.runners {
		rt, keep := routes[name]
		if keep && reflect.DeepEqual(rt, r.route) {
			continue
		}
		delete(m.runners, name)
		if keep {
			changed = append(changed, name)
			next := m.newRunner(name, rt)
			m.runners[name] = next
			m.background(func() {
				m.drain(r)
				next.start(m.ctx)
			})
		} else {
			stopped = append(stopped, name)
			m.background(func() { m.drain(r) })
		}
	}
	for name, rt := range routes {
		if _, ok := m.runners[name]; !ok {
			started = append(started, name)
			r := m.newRunner(name, rt)
			m.runners[name] = r
			r.start(m.ctx)
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(changed)
	return started, stopped, changed
}

func (m *manager) background(f func()) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

func (m *manager) drain(r *runner) {
	ctx, cancel := m.drainFor()
	defer cancel()
	r.stop(ctx)
}

// snapshot returns the routes' runners, by name.
func (m *manager) snapshot() []*runner {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*runner, 0, len(m.runners))
	for _, r := range m.runners {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// stopAll drains every route until ctx ends and waits for all of them,
// including those already stopping.
func (m *manager) stopAll(ctx context.Context) {
	m.mu.Lock()
	rs := m.runners
	m.runners = map[string]*runner{}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.stop(ctx)
		}()
	}
	wg.Wait()
	m.wg.Wait()
}
