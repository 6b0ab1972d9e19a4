package devstack

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestEnforceRetention: with a size retention enforced, a partition keeps
// at most its retention.bytes however much is produced to it, and its
// data directory drops the expired segment files.
func TestEnforceRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const perPartition, segment = 64 << 10, 16 << 10
	dir := t.TempDir()
	k, err := StartKafka(dir, 1, Retention{BytesPerPartition: perPartition, SegmentBytes: segment}.Opt())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Stop)
	go k.EnforceRetention(t.Context(), 20*time.Millisecond)

	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs()...), kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	value := bytes.Repeat([]byte("x"), 1000)
	const records = 2000 // ~2 MB, thirty times the retention
	for range records / 100 {
		var batch []*kgo.Record
		for range 100 {
			batch = append(batch, &kgo.Record{Topic: "t", Partition: 0, Value: value})
		}
		if err := cl.ProduceSync(t.Context(), batch...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	WaitFor(t, 10*time.Second, "retention to trim partition 0", func() bool {
		p := k.Cluster().PartitionInfo("t", 0)
		return p != nil && p.HighWatermark == records && p.NumBytes <= perPartition && p.LogStartOffset > 0
	})
	var onDisk int64
	_ = filepath.WalkDir(filepath.Join(dir, "partitions"), func(_ string, d fs.DirEntry, err error) error {
		if fi, ferr := d.Info(); err == nil && ferr == nil && !d.IsDir() {
			onDisk += fi.Size()
		}
		return nil
	})
	// Kept bytes plus the partly expired oldest segment and the active one.
	if limit := int64(perPartition + 2*segment + 16<<10); onDisk > limit {
		t.Errorf("%d bytes of partition files, want at most %d", onDisk, limit)
	}
}
