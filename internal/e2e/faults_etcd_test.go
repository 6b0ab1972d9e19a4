//go:build linux

package e2e

import (
	"context"
	"encoding/json"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcdOutage stops etcd for the outage, runs during while it is down, and
// starts it again.
func etcdOutage(r *run, during func()) {
	end := time.Now().Add(r.tm.outage)
	r.s.etcd.Stop()
	during()
	time.Sleep(time.Until(end))
	if err := r.s.etcd.Restart(); err != nil {
		r.t.Fatalf("restarting etcd: %v", err)
	}
}

// daemonStatus is what both daemons' status keys share.
type daemonStatus struct {
	FromCache bool `json:"from_cache"`
}

// waitStatus waits until the status at key satisfies ok: a daemon that
// publishes again after an etcd outage has its client back.
func waitStatus(r *run, key, what string, ok func(daemonStatus) bool) {
	r.t.Helper()
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	devstack.WaitFor(r.t, time.Minute, what, func() bool {
		ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Second)
		defer cancel()
		var st daemonStatus
		return readStatus(ctx, cli, key, &st) && ok(st)
	})
}

// etcdRevision is etcd's revision now.
func etcdRevision(r *run) int64 {
	r.t.Helper()
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	var rev int64
	devstack.WaitFor(r.t, time.Minute, "etcd to answer", func() bool {
		ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Second)
		defer cancel()
		resp, err := cli.Get(ctx, "/", clientv3.WithCountOnly())
		if err == nil {
			rev = resp.Header.Revision
		}
		return err == nil
	})
	return rev
}

// waitWrittenAfter waits until key was written after revision rev.
func waitWrittenAfter(r *run, key, what string, rev int64) {
	r.t.Helper()
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	devstack.WaitFor(r.t, time.Minute, what, func() bool {
		ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Second)
		defer cancel()
		resp, err := cli.Get(ctx, key)
		return err == nil && len(resp.Kvs) > 0 && resp.Kvs[0].ModRevision > rev
	})
}

// readStatus reads the status key into st; false while it is absent or
// unreadable (etcd down, the daemon not yet publishing).
func readStatus(ctx context.Context, cli *clientv3.Client, key string, st any) bool {
	resp, err := cli.Get(ctx, key)
	return err == nil && len(resp.Kvs) > 0 && json.Unmarshal(resp.Kvs[0].Value, st) == nil
}
