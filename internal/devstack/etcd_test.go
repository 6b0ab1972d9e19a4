package devstack

import (
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestAutoCompact: with AutoCompact the server forgets revisions older
// than keep, so a key rewritten forever (a daemon's status) leaves a
// bounded history; a read at a forgotten revision is refused as compacted.
func TestAutoCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	e, err := StartEtcd(t.TempDir(), AutoCompact(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	cli := NewEtcdClient(t, e)
	put, err := cli.Put(t.Context(), "/status", "v")
	if err != nil {
		t.Fatal(err)
	}
	first := put.Header.Revision
	WaitFor(t, 15*time.Second, "the first revision to be compacted", func() bool {
		if _, err := cli.Put(t.Context(), "/status", "v"); err != nil {
			t.Fatal(err)
		}
		_, err := cli.Get(t.Context(), "/status", clientv3.WithRev(first))
		return errors.Is(err, rpctypes.ErrCompacted)
	})
}
