package conf_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// snapshots runs a watcher and returns a function that waits until a snapshot
// satisfies cond.
func runWatcher(t *testing.T, cli *clientv3.Client, opts ...conf.WatchOption) func(cond func(conf.Snapshot) bool) conf.Snapshot {
	t.Helper()
	ch := make(chan conf.Snapshot, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	w := conf.NewWatcher(cli, []string{"/a/", "/b/"}, append([]conf.WatchOption{conf.WithQuiet(20*time.Millisecond, 200*time.Millisecond), conf.WithRetry(50 * time.Millisecond), conf.WithReadTimeout(500 * time.Millisecond)}, opts...)...)
	go func() { defer close(done); w.Run(ctx, func(s conf.Snapshot) { ch <- s }) }()
	t.Cleanup(func() { cancel(); <-done })
	return func(cond func(conf.Snapshot) bool) conf.Snapshot {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-ch:
				if cond(s) {
					return s
				}
			case <-deadline:
				t.Fatal("no matching snapshot within 10s")
			}
		}
	}
}

func TestWatcherSnapshots(t *testing.T) {
	e := devstack.NewEtcd(t)
	cli := devstack.NewEtcdClient(t, e)
	ctx := t.Context()
	if _, err := cli.Put(ctx, "/a/1", "one"); err != nil {
		t.Fatal(err)
	}
	wait := runWatcher(t, cli, conf.WithKeyFilter(func(k string) bool { return k != "/a/status" }))
	wait(func(s conf.Snapshot) bool { return len(s.KVs) == 1 && s.KVs["/a/1"] == "one" })

	cli.Put(ctx, "/b/2", "two")
	cli.Put(ctx, "/a/1", "uno")
	cli.Put(ctx, "/a/status", "ignored")
	cli.Put(ctx, "/c/3", "other prefix")
	s := wait(func(s conf.Snapshot) bool { return s.KVs["/a/1"] == "uno" && s.KVs["/b/2"] == "two" })
	if len(s.KVs) != 2 {
		t.Errorf("snapshot has foreign keys: %v", s.KVs)
	}
	cli.Delete(ctx, "/b/2")
	wait(func(s conf.Snapshot) bool { _, ok := s.KVs["/b/2"]; return !ok && len(s.KVs) == 1 })
}

func TestWatcherRecoversFromCompaction(t *testing.T) {
	e := devstack.NewEtcd(t)
	cli := devstack.NewEtcdClient(t, e)
	ctx := t.Context()
	wait := runWatcher(t, cli)
	wait(func(s conf.Snapshot) bool { return len(s.KVs) == 0 })
	// Restart etcd (watch stream breaks) while edits happen and are
	// compacted away: the watcher must converge on the latest state anyway.
	e.Stop()
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	var last *clientv3.PutResponse
	for i := range 5 {
		r, err := cli.Put(ctx, "/a/k", string(rune('0'+i)))
		if err != nil {
			t.Fatal(err)
		}
		last = r
	}
	if _, err := cli.Compact(ctx, last.Header.Revision); err != nil {
		t.Fatal(err)
	}
	wait(func(s conf.Snapshot) bool { return s.KVs["/a/k"] == "4" })
}

func TestWatcherUsesCacheWhenEtcdDown(t *testing.T) {
	e := devstack.NewEtcd(t)
	cli := devstack.NewEtcdClient(t, e)
	cache := filepath.Join(t.TempDir(), "snap.json")
	cli.Put(t.Context(), "/a/task", "v1")
	func() {
		wait := runWatcher(t, cli, conf.WithCacheFile(cache))
		wait(func(s conf.Snapshot) bool { return s.KVs["/a/task"] == "v1" })
	}()
	e.Stop()
	wait := runWatcher(t, cli, conf.WithCacheFile(cache))
	s := wait(func(s conf.Snapshot) bool { return s.Cached })
	if s.KVs["/a/task"] != "v1" {
		t.Fatalf("cached snapshot = %v", s.KVs)
	}
	// When etcd returns, the live snapshot replaces the cached one.
	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	wait(func(s conf.Snapshot) bool { return !s.Cached && s.KVs["/a/task"] == "v1" })
}
