package conf

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

// fakeUnit records how it was stopped and blocks Run until stopped.
type fakeUnit struct {
	name, spec string
	stopCh     chan bool
	once       sync.Once
	ran        chan struct{}
	log        *eventLog
	// hold, when set, keeps Run from returning after Stop until closed:
	// in-flight work still settling.
	hold chan struct{}
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(e string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

func (u *fakeUnit) Run(ctx context.Context) {
	close(u.ran)
	u.log.add("run " + u.name + "=" + u.spec)
	select {
	case drain := <-u.stopCh:
		if u.hold != nil {
			u.log.add("settling " + u.name + "=" + u.spec)
			<-u.hold
		}
		if drain {
			u.log.add("drained " + u.name + "=" + u.spec)
		} else {
			u.log.add("stopped " + u.name + "=" + u.spec)
		}
	case <-ctx.Done():
		u.log.add("ctx " + u.name + "=" + u.spec)
	}
}

func (u *fakeUnit) Stop(drain bool) { u.once.Do(func() { u.stopCh <- drain }) }

func (u *fakeUnit) Health() Health { return Health{State: StateRunning} }

func newFakeSupervisor(t *testing.T, opts ...SupervisorOption) (*Supervisor[string, *fakeUnit], *eventLog) {
	s, log, _ := newHeldSupervisor(t, opts...)
	return s, log
}

// newHeldSupervisor's units named "held" settle only when the returned
// channel is closed.
func newHeldSupervisor(t *testing.T, opts ...SupervisorOption) (*Supervisor[string, *fakeUnit], *eventLog, chan struct{}) {
	t.Helper()
	log := &eventLog{}
	hold := make(chan struct{})
	s := NewSupervisor(t.Context(), func(name, spec string) *fakeUnit {
		u := &fakeUnit{name: name, spec: spec, stopCh: make(chan bool, 1), ran: make(chan struct{}), log: log}
		if name == "held" {
			u.hold = hold
		}
		return u
	}, opts...)
	return s, log, hold
}

func waitEvents(t *testing.T, l *eventLog, want []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !reflect.DeepEqual(l.get(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("events = %q, want %q", l.get(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSupervisorReconcilesByKey(t *testing.T) {
	for _, tt := range []struct {
		name       string
		opts       []SupervisorOption
		changedHow string
		removedHow string
	}{
		{name: "agent: a change stops at once", changedHow: "stopped", removedHow: "drained"},
		{name: "transfer: a change drains", opts: []SupervisorOption{WithDrainOnChange()}, changedHow: "drained", removedHow: "drained"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, log := newFakeSupervisor(t, tt.opts...)
			started, stopped, changed := s.Apply(map[string]string{"a": "1", "b": "1"})
			if !reflect.DeepEqual(started, []string{"a", "b"}) || stopped != nil || changed != nil {
				t.Fatalf("first apply: started %v stopped %v changed %v", started, stopped, changed)
			}
			for _, n := range s.Units() {
				<-n.Unit.ran
			}
			base := len(log.get())
			// Unchanged a, changed b, removed nothing, new c.
			started, stopped, changed = s.Apply(map[string]string{"a": "1", "b": "2", "c": "1"})
			if !reflect.DeepEqual(started, []string{"c"}) || stopped != nil || !reflect.DeepEqual(changed, []string{"b"}) {
				t.Fatalf("second apply: started %v stopped %v changed %v", started, stopped, changed)
			}
			// b=2 runs only after b=1 returned.
			for _, n := range s.Units() {
				<-n.Unit.ran
			}
			ev := log.get()[base:]
			idxOld, idxNew := -1, -1
			for i, e := range ev {
				switch e {
				case tt.changedHow + " b=1":
					idxOld = i
				case "run b=2":
					idxNew = i
				}
			}
			if idxOld < 0 || idxNew < idxOld {
				t.Fatalf("changed unit: events %q: want %q before %q", ev, tt.changedHow+" b=1", "run b=2")
			}
			_, stopped, _ = s.Apply(map[string]string{"b": "2", "c": "1"})
			if !reflect.DeepEqual(stopped, []string{"a"}) {
				t.Fatalf("third apply stopped %v", stopped)
			}
			s.StopAll(false)
			all := log.get()
			want := map[string]bool{tt.removedHow + " a=1": true, "stopped b=2": true, "stopped c=1": true}
			for _, e := range all {
				delete(want, e)
			}
			if len(want) > 0 {
				t.Fatalf("events %q lack %v", all, want)
			}
			if n := len(s.Units()); n != 0 {
				t.Fatalf("%d units after StopAll", n)
			}
		})
	}
}

// A changed unit's replacement never runs while the old one still settles
// what it had in flight: both would ship the same lines.
func TestSupervisorReplacementWaitsForPredecessor(t *testing.T) {
	s, log, hold := newHeldSupervisor(t)
	s.Apply(map[string]string{"held": "1"})
	waitEvents(t, log, []string{"run held=1"})
	s.Apply(map[string]string{"held": "2"})
	waitEvents(t, log, []string{"run held=1", "settling held=1"})
	// Correct code cannot log "run held=2" now; give a wrong one time to.
	deadline := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(deadline) {
		if ev := log.get(); len(ev) > 2 {
			t.Fatalf("replacement ran while the old unit settled: %q", ev)
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	waitEvents(t, log, []string{"run held=1", "settling held=1", "stopped held=1", "run held=2"})
	s.StopAll(false)
}

// A replacement stopped before its predecessor returned never runs work
// after StopAll: Stop before Run makes Run return at once.
func TestSupervisorStopAllWhileReplacing(t *testing.T) {
	s, log := newFakeSupervisor(t)
	s.Apply(map[string]string{"a": "1"})
	s.Apply(map[string]string{"a": "2"})
	s.StopAll(false)
	waitEvents(t, log, log.get()) // StopAll returned: every Run returned
	for _, n := range s.Units() {
		t.Fatalf("unit %s left", n.Name)
	}
}

type healthUnit struct {
	fakeUnit
	h Health
}

func (u *healthUnit) Health() Health { return u.h }

func TestSupervisorDegradedNamesUnits(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := NewSupervisor(t.Context(), func(name, spec string) *healthUnit {
		u := &healthUnit{fakeUnit: fakeUnit{name: name, spec: spec, stopCh: make(chan bool, 1), ran: make(chan struct{}), log: &eventLog{}}}
		if spec == "bad" {
			u.h = Health{State: StateFailing, Reason: "topic missing", Since: since}
		} else {
			u.h = Health{State: StateRunning}
		}
		return u
	})
	defer s.StopAll(false)
	s.Apply(map[string]string{"good": "ok", "broken": "bad"})
	got := s.Degraded()
	want := []string{"broken: failing since 03:04:05: topic missing"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Degraded = %q, want %q", got, want)
	}
}
