//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// taskScenarios are faults of one task among several: the row's own task
// must keep its full rate (0 missing, its usual recovery) while another
// task of the same agent cannot ship.
var taskScenarios = []scenario{
	{name: "task-topic-missing", fault: missingTopicTask},
}

// missingTopicTask adds a task of 40 files whose topic the cluster does not
// have and will not create (a typo with auto-creation off: the cloud
// cluster answers UNKNOWN_TOPIC_OR_PARTITION for it), checks that the task
// is failing with its reason in the status key and the /readyz body within
// 10 s, lets the app task ship beside it for a window, then creates the
// topic: every line of the broken task must arrive, once, and the agent
// must have logged a few lines about it, not one per file or per retry.
func missingTopicTask(r *run) {
	const task, brokenTopic, brokenFiles, perFile = "typo", "chaos-typo", 40, 100
	dir := filepath.Join(r.s.logs, task)
	if err := os.Mkdir(dir, 0o750); err != nil {
		r.t.Fatal(err)
	}
	want := map[string]bool{}
	for f := range brokenFiles {
		var b strings.Builder
		for i := range perFile {
			l := fmt.Sprintf("typo file=%02d line=%04d %s", f, i, linePad)
			want[l] = true
			b.WriteString(l + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%02d.log", f)), []byte(b.String()), 0o640); err != nil {
			r.t.Fatal(err)
		}
	}
	missing := r.s.cloud.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Metadata, kmsg.Produce}, Topic: brokenTopic,
		Err: kerr.UnknownTopicOrPartition, Count: -1})
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	spec := fmt.Sprintf(`{"path": %q, "topic": %q}`, filepath.Join(dir, "*.log"), brokenTopic)
	if _, err := cli.Put(r.t.Context(), logagent.TaskKey(agentID, task), spec); err != nil {
		r.t.Fatal(err)
	}

	var st logagent.Status
	devstack.WaitFor(r.t, 10*time.Second, "the broken task failing with its reason in the status key", func() bool {
		ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Second)
		defer cancel()
		st = logagent.Status{}
		return readStatus(ctx, cli, logagent.StatusKey(agentID), &st) && slices.ContainsFunc(st.Tasks, func(ts logagent.TaskStatus) bool {
			return ts.Name == task && ts.State == conf.StateFailing && strings.Contains(ts.Reason, brokenTopic)
		})
	})
	code, body := devstack.HTTPGet("http://" + st.HTTP + "/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, task+": failing") || strings.Contains(body, "app:") {
		r.t.Errorf("/readyz with a failing task: %d %q", code, body)
	}
	time.Sleep(r.tm.window) // the app task ships beside the broken one: the row's oracle counts it

	missing.Remove() // the operator creates the topic (auto-creation does it here)
	ctx, cancel := context.WithTimeout(r.t.Context(), r.tm.drainTimeout)
	defer cancel()
	seen := map[string]int{}
	counted := 0
	_, err := devstack.ReadUntil(ctx, r.s.cloud.Addrs(), brokenTopic, func(rs []devstack.Record) bool {
		for _, rec := range rs[counted:] {
			seen[rec.Value]++
		}
		counted = len(rs)
		return len(seen) >= len(want)
	})
	if err != nil {
		r.t.Errorf("the broken task's topic holds %d of its %d lines: %v", len(seen), len(want), err)
	}
	for l, n := range seen {
		if !want[l] || n > 1 {
			r.t.Errorf("line %.40q… in %s %d times (written: %v)", l, brokenTopic, n, want[l])
			break
		}
	}
	log, _ := os.ReadFile(r.s.agent.log)
	if n := bytes.Count(log, []byte("task="+task)); n > 10 {
		r.t.Errorf("the agent logged %d lines about the broken task (level warn): want a few, not one per file or retry", n)
	}
}
