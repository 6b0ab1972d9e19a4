package logagent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"

	"github.com/logpipe/logpipe/internal/atomicfile"
)

// reshipsDoneFile keeps the reships that finished done, so that a restart
// does not run them again while their keys stay in etcd: a range re-sent
// days later, with lp.ts no longer from its anchors or its audit hour,
// would land in another daily index of a raw route as second documents.
const reshipsDoneFile = "reships-done.json"

// reshipsDone is the agent's record of finished reships, by name, with
// the spec they ran: a changed spec (reship add --replace) runs again.
type reshipsDone struct {
	path string
	mu   sync.Mutex
	done map[string]reshipDone
}

type reshipDone struct {
	Spec   Reship       `json:"spec"`
	Status ReshipStatus `json:"status"`
}

func loadReshipsDone(path string) (*reshipsDone, error) {
	d := &reshipsDone{path: path, done: map[string]reshipDone{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading finished reships: %w", err)
	}
	if err := json.Unmarshal(b, &d.done); err != nil {
		return nil, fmt.Errorf("finished reships file %s is corrupt: %w", path, err)
	}
	return d, nil
}

// get returns the status name finished with, if it ran spec.
func (d *reshipsDone) get(name string, spec Reship) (ReshipStatus, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.done[name]
	if !ok || !reflect.DeepEqual(e.Spec, spec) {
		return ReshipStatus{}, false
	}
	return e.Status, true
}

// put records that name finished done running spec.
func (d *reshipsDone) put(name string, spec Reship, st ReshipStatus) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done[name] = reshipDone{Spec: spec, Status: st}
	return d.saveLocked()
}

// keep forgets the reships whose keys are gone.
func (d *reshipsDone) keep(names map[string]reshipSpec) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := len(d.done)
	for name := range d.done {
		if _, ok := names[name]; !ok {
			delete(d.done, name)
		}
	}
	if len(d.done) == n {
		return nil
	}
	return d.saveLocked()
}

func (d *reshipsDone) saveLocked() error {
	b, err := json.Marshal(d.done)
	if err == nil {
		err = atomicfile.Write(d.path, b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("saving finished reships: %w", err)
	}
	return nil
}
