package logagent

import (
	"context"
	"path/filepath"

	"github.com/logpipe/logpipe/conf"
)

// reships is the agent's reship units.
type reships = conf.Supervisor[reshipSpec, *reshipRunner]

func (a *Agent) newReships(ctx context.Context) (*reships, error) {
	done, err := loadReshipsDone(filepath.Join(a.cfg.Agent.StateDir, reshipsDoneFile))
	if err != nil {
		return nil, err
	}
	a.reshipsDone = done
	return conf.NewSupervisor(ctx, a.newReship), nil
}

// applyReships reconciles the reship units with the snapshot's reship keys:
// a new key runs once, a removed one stops (and leaves the status), a
// changed one runs again.
func (a *Agent) applyReships(specs map[string]reshipSpec) {
	if err := a.reshipsDone.keep(specs); err != nil {
		a.log.Error("forgetting removed reships", "err", err) // they would not run again if re-added unchanged
	}
	started, stopped, changed := a.reships.Apply(specs)
	if len(started)+len(stopped)+len(changed) > 0 {
		a.log.Info("reships applied", "started", started, "stopped", stopped, "changed", changed)
	}
}

// reshipSummaries are the reships for the status key.
func (a *Agent) reshipSummaries() []ReshipSummary {
	var out []ReshipSummary
	for _, u := range a.reships.Units() {
		st := u.Unit.status()
		s := ReshipSummary{Name: st.Name, State: st.State, Reason: st.Reason}
		if st.State != ReshipRunning {
			s.Sent, s.Acked = st.Sent, st.Acked
		}
		out = append(out, s)
	}
	return out
}

// reshipStatuses is /status/reships: every reship in full.
func (a *Agent) reshipStatuses() []ReshipStatus {
	out := []ReshipStatus{}
	for _, u := range a.reships.Units() {
		out = append(out, u.Unit.status())
	}
	return out
}
