//go:build linux

package e2e

import (
	"slices"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
)

// removeTask deletes the agent's task key, as `etcdctl del` would, waits
// until the agent's status key says it applied the removal, and returns
// that status.
func removeTask(r *run) logagent.Status {
	r.t.Helper()
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	resp, err := cli.Delete(r.t.Context(), logagent.TaskKey(agentID, "app"))
	if err != nil {
		r.t.Fatalf("removing the task: %v", err)
	}
	if resp.Deleted != 1 {
		r.t.Fatalf("removing the task: %d keys deleted", resp.Deleted)
	}
	rev := resp.Header.Revision
	var st logagent.Status
	devstack.WaitFor(r.t, r.tm.drainTimeout, "the agent to apply the task's removal", func() bool {
		st = logagent.Status{}
		return readStatus(r.t.Context(), cli, logagent.StatusKey(agentID), &st) && st.Rev >= rev &&
			!slices.ContainsFunc(st.Tasks, func(t logagent.TaskStatus) bool { return t.Name == "app" })
	})
	return st
}
