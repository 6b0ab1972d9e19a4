package conf

import (
	"errors"
	"sync"
)

// Applied remembers the last snapshot a daemon applied: its revision, whether
// it came from the on-disk cache, and the keys rejected. Both daemons report
// it in their status key and their /readyz.
type Applied struct {
	mu       sync.Mutex
	rev      int64
	cached   bool
	applied  bool
	rejected []Rejection
}

// Record stores a newly applied snapshot and returns the rejections that
// are new since the previous one, so each bad edit is logged once.
func (a *Applied) Record(s Snapshot, rejected []Rejection) (fresh []Rejection) {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := make(map[Rejection]bool, len(a.rejected))
	for _, r := range a.rejected {
		old[r] = true
	}
	for _, r := range rejected {
		if !old[r] {
			fresh = append(fresh, r)
		}
	}
	a.rev, a.cached, a.applied, a.rejected = s.Rev, s.Cached, true, rejected
	return fresh
}

// State returns the applied revision, whether it came from the cache, and a
// copy of the rejections.
func (a *Applied) State() (rev int64, cached bool, rejected []Rejection) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.rev, a.cached, append([]Rejection{}, a.rejected...)
}

// Ready returns why the configuration is not ready, or nil: nothing applied
// yet, or only the cached snapshot because etcd is unreachable.
func (a *Applied) Ready(what string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case !a.applied:
		return errors.New("no " + what + " set applied yet")
	case a.cached:
		return errors.New("etcd unreachable: running cached " + what + "s")
	}
	return nil
}
