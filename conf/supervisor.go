package conf

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync"
)

// Unit is one supervised task (logagent) or route (logtransfer): its own
// failure domain. It owns its share of every shared resource and reports
// its own Health; nothing it waits on may block another unit.
type Unit interface {
	// Run does the unit's work until Stop is called or ctx ends, and
	// returns only once what it had in flight is settled (acknowledged, or
	// given up because ctx ended): its positions are then final.
	Run(ctx context.Context)
	// Stop asks Run to end and never blocks. drain true lets the unit
	// first finish what its input holds now (a removed task ships what its
	// files hold); false stops reading at once. Stop may come before Run
	// starts, and then Run returns at once.
	Stop(drain bool)
	// Health is the unit's current condition.
	Health() Health
}

// Supervisor reconciles the running units with the desired specs, by key —
// the one control-plane shape of both daemons: watch (Watcher) → decode and
// validate (LastValid) → Apply (here) → one Unit per key → Health in the
// status key, metrics and /readyz.
//
// Contract: Apply never blocks on I/O. An unchanged key is left alone; a new
// key starts at once; a removed key drains and stops in the background; a
// changed key's old unit is stopped (drained with WithDrainOnChange) and its
// replacement's Run begins only after the old Run returned, so the two never
// work on the same input at once and the new one resumes from the positions
// the old one left. StopAll stops everything, including units still
// stopping, and waits for them.
type Supervisor[S any, U Unit] struct {
	ctx           context.Context
	newUnit       func(name string, spec S) U
	equal         func(a, b S) bool
	drainOnChange bool

	mu    sync.Mutex
	units map[string]*supervised[S, U]
	wg    sync.WaitGroup
}

type supervised[S any, U Unit] struct {
	spec S
	unit U
	done chan struct{} // closed when Run returned
}

// Named is one unit with its key and spec, as Units lists them.
type Named[S any, U Unit] struct {
	Name string
	Spec S
	Unit U
}

// SupervisorOption configures a Supervisor.
type SupervisorOption func(*supervisorOpts)

type supervisorOpts struct{ drainOnChange bool }

// WithDrainOnChange makes a changed unit drain before its replacement runs
// (logtransfer: in-flight bulks finish and offsets are committed). Without
// it a changed unit stops reading at once (logagent: its successor resumes
// from the acked positions with the new settings).
func WithDrainOnChange() SupervisorOption { return func(o *supervisorOpts) { o.drainOnChange = true } }

// NewSupervisor returns a Supervisor whose units run under ctx; newUnit makes
// the unit of a key. Specs are compared with reflect.DeepEqual.
func NewSupervisor[S any, U Unit](ctx context.Context, newUnit func(name string, spec S) U, opts ...SupervisorOption) *Supervisor[S, U] {
	var o supervisorOpts
	for _, f := range opts {
		f(&o)
	}
	return &Supervisor[S, U]{
		ctx: ctx, newUnit: newUnit, drainOnChange: o.drainOnChange,
		equal: func(a, b S) bool { return reflect.DeepEqual(a, b) },
		units: map[string]*supervised[S, U]{},
	}
}

// Apply reconciles the units with specs (see Supervisor) and returns the keys
// started, stopped and changed, sorted.
func (s *Supervisor[S, U]) Apply(specs map[string]S) (started, stopped, changed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, cur := range s.units {
		spec, keep := specs[name]
		if keep && s.equal(spec, cur.spec) {
			continue
		}
		delete(s.units, name)
		if keep {
			cur.unit.Stop(s.drainOnChange)
			changed = append(changed, name)
			s.startLocked(name, spec, cur.done)
		} else {
			cur.unit.Stop(true)
			stopped = append(stopped, name)
		}
	}
	for name, spec := range specs {
		if _, ok := s.units[name]; !ok {
			started = append(started, name)
			s.startLocked(name, spec, nil)
		}
	}
	sort.Strings(started)
	sort.Strings(stopped)
	sort.Strings(changed)
	return started, stopped, changed
}

// startLocked starts the unit of name; its Run begins once after is closed
// (the unit it replaces has returned), at once when after is nil.
func (s *Supervisor[S, U]) startLocked(name string, spec S, after <-chan struct{}) {
	u := &supervised[S, U]{spec: spec, unit: s.newUnit(name, spec), done: make(chan struct{})}
	s.units[name] = u
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(u.done)
		if after != nil {
			<-after
		}
		u.unit.Run(s.ctx)
	}()
}

// Units lists the current units (not those still stopping), by name.
func (s *Supervisor[S, U]) Units() []Named[S, U] {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Named[S, U], 0, len(s.units))
	for name, u := range s.units {
		out = append(out, Named[S, U]{Name: name, Spec: u.spec, Unit: u.unit})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Degraded describes every current unit that is not running normally, one
// "name: state since …: reason" each, by name: what /readyz says.
func (s *Supervisor[S, U]) Degraded() []string {
	var out []string
	for _, n := range s.Units() {
		if h := n.Unit.Health(); h.Degraded() {
			out = append(out, fmt.Sprintf("%s: %s since %s: %s", n.Name, h.State, h.Since.UTC().Format("15:04:05"), h.Reason))
		}
	}
	return out
}

// StopAll stops every unit (drained or at once) and waits for all of them,
// including units already stopping.
func (s *Supervisor[S, U]) StopAll(drain bool) {
	s.mu.Lock()
	for _, u := range s.units {
		u.unit.Stop(drain)
	}
	s.units = map[string]*supervised[S, U]{}
	s.mu.Unlock()
	s.wg.Wait()
}
