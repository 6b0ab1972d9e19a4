package ctl

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kgo"
)

// commitGroup consumes topic in group until it has read want records, then
// commits, per partition, the offset after the record at offsets[p]-1: a
// consumer that processed part of what it read.
func commitGroup(t *testing.T, brokers []string, group, topic string, want int, offsets map[int32]int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var done []*kgo.Record
	for got := 0; got < want; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, want, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got++
			if r.Offset == offsets[r.Partition]-1 {
				done = append(done, r)
			}
		})
	}
	if err := cl.CommitRecords(ctx, done...); err != nil {
		t.Fatal(err)
	}
}

func TestLag(t *testing.T) {
	s := newStack(t)
	k := s.withKafka()
	createTopic(t, k.Addrs(), "mglogs", 2)
	prod, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	var recs []*kgo.Record
	for i := range 15 {
		recs = append(recs, &kgo.Record{Topic: "mglogs", Partition: int32(i % 3 / 2), Value: []byte("line")}) // 10 to p0, 5 to p1
	}
	if err := prod.ProduceSync(t.Context(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	commitGroup(t, k.Addrs(), "logtransfer-mglogs", "mglogs", 15, map[int32]int64{0: 7, 1: 5})

	out := s.ok("lag", "-group", "logtransfer-mglogs")
	mustContain(t, out, "CURRENT-OFFSET", "LOG-END-OFFSET")
	for _, want := range [][]string{
		{"logtransfer-mglogs", "mglogs", "0", "7", "10", "3"},
		{"logtransfer-mglogs", "mglogs", "1", "5", "5", "0"},
		{"TOTAL", "3"},
	} {
		if !hasRow(out, want) {
			t.Errorf("lag output lacks the row %v:\n%s", want, out)
		}
	}
	var g groupLag
	decodeJSON(t, s.ok("lag", "-group", "logtransfer-mglogs", "-o", "json"), &g)
	if g.Lag != 3 || len(g.Partitions) != 2 || g.Partitions[0] != (partitionLag{Topic: "mglogs", Partition: 0, Committed: 7, End: 10, Lag: 3}) {
		t.Errorf("lag -o json: %+v", g)
	}

	if !hasRow(s.ok("lag"), []string{"logtransfer-mglogs", "1", "2", "3"}) {
		t.Errorf("lag without -group does not list the group with its total lag")
	}
	var all []groupLag
	decodeJSON(t, s.ok("lag", "-o", "json"), &all)
	if len(all) != 1 || all[0].Lag != 3 {
		t.Errorf("lag -o json: %+v", all)
	}

	r := s.run("lag", "-group", "nobody")
	if r.code != ExitFailure || !strings.Contains(r.stderr, `consumer group "nobody" not found`) {
		t.Errorf("lag of an unknown group: exit %d, %q", r.code, r.stderr)
	}
}

// createTopic creates topic with n partitions.
func createTopic(t *testing.T, brokers []string, topic string, n int32) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin(brokers, sarama.NewConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := admin.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: n, ReplicationFactor: 1}, false); err != nil {
		t.Fatal(err)
	}
}

// hasRow reports whether a line of out has exactly the fields want.
func hasRow(out string, want []string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(l), " ") == strings.Join(want, " ") {
			return true
		}
	}
	return false
}
