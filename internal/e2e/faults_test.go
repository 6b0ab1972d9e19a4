//go:build linux

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// faultScenarios are faults of the components around the daemons: etcd,
// Kafka, Elasticsearch, and a second transfer instance. Each checks, while
// it runs, that the fault really happened (duplicates in Kafka, dead
// letters, a takeover) so that its row cannot pass for want of a fault.
var faultScenarios = []scenario{
	// The broker appends a batch but answers REQUEST_TIMED_OUT, as when
	// the replicas miss the produce timeout: the agent retries a batch
	// Kafka already holds, and the index must collapse the copies by lp.id.
	// sarama backs off longer at each retry of a partition (up to
	// retry_backoff_max), so a few timeouts already stall it for seconds.
	{name: "kafka-produce-timeouts", fault: func(r *run) {
		const episodes, perEpisode = 2, 2
		for range episodes {
			h, err := r.s.cloud.TimeOutProduces(topic, perEpisode)
			if err != nil {
				r.t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
			err = h.Wait(ctx, perEpisode)
			cancel()
			if err != nil {
				r.t.Fatalf("waiting for %d produce requests to time out: %v", perEpisode, err)
			}
			time.Sleep(r.tm.window / episodes)
		}
		kafkaDuplicated(r, fmt.Sprintf("%d produce requests timed out after appending", episodes*perEpisode))
	}},
	// The broker answers later than the agent's read deadline ([kafka]
	// timeout + 5 s, conf.Kafka.Sarama): the agent drops the connection and
	// sends the batch again, and the late request is appended as well.
	{name: "kafka-response-late", chaosOnly: true, fault: func(r *run) {
		r.s.agent.stop()
		r.s.agent.ini = r.s.agentConfigWith("logagent-timeout.ini", "timeout = 500ms")
		r.s.agent.start()
		const late = 2
		done, err := r.s.cloud.DelayProduces(topic, late, 7*time.Second)
		if err != nil {
			r.t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(time.Minute):
			r.t.Fatalf("%d produce requests not held within a minute", late)
		}
		kafkaDuplicated(r, fmt.Sprintf("%d produce requests answered 7s late", late))
	}},
	// The agent restarts while etcd is down: it must run the tasks cached
	// by its previous run, and leave the cache once etcd is back.
	{name: "etcd-down-at-agent-start", chaosOnly: true, fault: func(r *run) {
		etcdDownAtStart(r, r.s.agent, filepath.Join(r.s.dir, "agent", "tasks-snapshot.json"), logagent.StatusKey(agentID))
	}},
	// The same for the transfer and the routes it cached.
	{name: "etcd-down-at-transfer-start", chaosOnly: true, fault: func(r *run) {
		etcdDownAtStart(r, r.s.transfer, filepath.Join(r.s.dir, "transfer", "routes-snapshot.json"), logtransfer.StatusKey(transferID))
	}},
	// Both daemons keep shipping with etcd down, and reach it again after.
	{name: "etcd-down-mid-run", chaosOnly: true, fault: func(r *run) {
		etcdOutage(r, func() { catchUp(r, "the pipeline to ship without etcd") })
		// updated_unix is when a status last changed (an unchanged status
		// is not written again): a key written after etcd came back is the
		// sign of a daemon that reached etcd again.
		back := etcdRevision(r)
		waitWrittenAfter(r, logagent.StatusKey(agentID), "the agent to publish its status again", back)
		waitWrittenAfter(r, logtransfer.StatusKey(transferID), "the transfer to publish its status again", back)
	}},
	{name: "poison-doc-per-partition", fault: poisonEveryPartition},
	{name: "two-transfers-one-killed", chaosOnly: true, fault: twoTransfersOneKilled},
	{name: "backfill-indexed-window", chaosOnly: true, fault: backfillIndexedWindow},
}

// etcdDownAtStart restarts d while etcd is down, once d has written its
// cache of etcd's keys: d must ship by the cache during the outage, and
// publish a status read from etcd again after it. Without the cache file
// the catch-up times out (checked by deleting it before the restart).
func etcdDownAtStart(r *run, d *daemon, cache, statusKey string) {
	devstack.WaitFor(r.t, 30*time.Second, d.name+" to write "+filepath.Base(cache), func() bool {
		_, err := os.Stat(cache)
		return err == nil
	})
	d.stop()
	etcdOutage(r, func() {
		d.start()
		catchUp(r, d.name+", started without etcd, to ship by its cache")
	})
	waitStatus(r, statusKey, d.name+" to read its keys from etcd again",
		func(st daemonStatus) bool { return !st.FromCache })
}

// catchUp waits, within the outage, until the index holds as many documents
// as lines were written by half a second from now: the pipeline ships
// through the fault (the oracle checks later that they are those lines).
func catchUp(r *run, what string) {
	r.t.Helper()
	n := r.w.total() + r.tm.rate/2
	devstack.WaitFor(r.t, r.tm.outage, "the writer", func() bool { return r.w.total() >= n })
	devstack.WaitFor(r.t, r.tm.outage, what, func() bool { return r.s.es.Count(indices) >= n })
}

// lineTotal is the number of lines of per-file counts.
func lineTotal(written []int) int {
	n := 0
	for _, c := range written {
		n += c
	}
	return n
}
