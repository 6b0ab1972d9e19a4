//go:build linux

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
)

// group is the consumer group of the suite's route: <kafka.group>-<route>.
const group = conf.DefaultGroup + "-" + topic

// twoTransfersOneKilled runs a second transfer in the same group, and once
// both hold partitions, SIGKILLs the first with bulks in flight: the second
// must take its partitions over from their last committed offsets.
func twoTransfersOneKilled(r *run) {
	second := r.s.newTransfer(transferID+"-2", "transfer-2")
	second.start()
	shares := waitMembers(r, 2)
	r.s.es.SetDelay(time.Second)
	before := r.s.es.Stats().BulkRequests
	devstack.WaitFor(r.t, 30*time.Second, "bulks in flight", func() bool { return r.s.es.Stats().BulkRequests >= before+2 })
	r.s.transfer.kill()
	r.s.es.SetDelay(0)
	r.s.transfer = second // the survivor is the one drain stops
	killed := time.Now()
	waitMembers(r, 1)
	catchUp(r, "the survivor to index the killed transfer's partitions")
	r.t.Logf("partitions shared %v; the survivor took over and caught up %.1fs after the kill",
		shares, time.Since(killed).Seconds())
}

// waitMembers waits until the route's group has n members, each assigned
// at least one partition, and returns their partitions.
func waitMembers(r *run, n int) (shares [][]int32) {
	r.t.Helper()
	admin, err := sarama.NewClusterAdmin(r.s.idc.Addrs(), sarama.NewConfig())
	if err != nil {
		r.t.Fatal(err)
	}
	defer admin.Close()
	devstack.WaitFor(r.t, time.Minute, fmt.Sprintf("%d members of %s holding partitions", n, group), func() bool {
		gs, err := admin.DescribeConsumerGroups([]string{group})
		if err != nil || len(gs) != 1 || gs[0].State != "Stable" || len(gs[0].Members) != n {
			return false
		}
		shares = shares[:0]
		for _, m := range gs[0].Members {
			a, err := m.GetMemberAssignment()
			if err != nil || a == nil || len(a.Topics[topic]) == 0 {
				return false
			}
			shares = append(shares, a.Topics[topic])
		}
		return true
	})
	return shares
}

// backfillIndexedWindow replays, with `logtransfer replay`, a window every
// line of which is indexed: every record must answer 409 and count as a
// duplicate, and the index must be unchanged.
func backfillIndexedWindow(r *run) {
	from := time.Now().Add(-time.Hour)
	var to time.Time
	var n int
	r.w.paused(func(written []int) {
		n = lineTotal(written)
		devstack.WaitFor(r.t, time.Minute, "every line so far to be indexed", func() bool {
			return r.s.es.Count(indices) >= n
		})
		to = time.Now()
	})
	var res struct{ read, created, dups, dead int }
	out := replay(r, from, to)
	if _, err := fmt.Sscanf(out, "replay: read=%d created=%d duplicates=%d dead_letters=%d",
		&res.read, &res.created, &res.dups, &res.dead); err != nil {
		r.t.Fatalf("replay printed %q: %v", out, err)
	}
	r.t.Logf("%d lines indexed before the window's end; %s", n, out)
	if res.read < n || res.created != 0 || res.dead != 0 || res.dups != res.read {
		r.t.Errorf("replaying an indexed window of %d lines: want every record read and a duplicate, got %s", n, out)
	}
}

// replay runs `logtransfer replay` of the suite's route over [from, to] with
// a state directory of its own, and returns its result line.
func replay(r *run, from, to time.Time) string {
	ctx, cancel := context.WithTimeout(r.t.Context(), 2*time.Minute)
	defer cancel()
	ini := r.s.transferConfig(transferID+"-replay", "replay")
	cmd := exec.CommandContext(ctx, filepath.Join(bins, "logtransfer"), "replay", "-config", ini, "-route", topic,
		"-from", from.Format(time.RFC3339Nano), "-to", to.Format(time.RFC3339Nano))
	logPath := filepath.Join(r.s.dir, "replay.log")
	lf, err := os.Create(logPath)
	if err != nil {
		r.t.Fatal(err)
	}
	defer lf.Close()
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, lf
	if err := cmd.Run(); err != nil {
		r.t.Fatalf("logtransfer replay: %v (log %s)", err, logPath)
	}
	return string(bytes.TrimSpace(stdout.Bytes()))
}
