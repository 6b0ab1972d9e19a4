//go:build linux

package e2e

import (
	"os"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// fileScenarios are the file lifecycle faults: how applications and
// logrotate create, move, truncate and delete the files the agent follows.
var fileScenarios = []scenario{
	// A logger's file is deleted while the agent reads it, just after a
	// burst the agent cannot have read yet; the logger recreates it by
	// name. The agent reads the deleted file to its end through its open
	// descriptor. Lines of a file deleted before the agent ever opened it
	// could not be saved by anyone: the scenario rules that out by
	// deleting only a file the agent holds open.
	{name: "delete-while-open", chaosOnly: true, fault: func(r *run) {
		const rounds = 3
		for range rounds {
			time.Sleep(r.tm.window / rounds)
			r.w.paused(func([]int) {
				for f := range 2 {
					p := r.w.path(f)
					fi, err := os.Stat(p)
					if err != nil {
						r.t.Fatal(err)
					}
					devstack.WaitFor(r.t, r.tm.drainTimeout, "the agent to open "+p, func() bool {
						return holds(r.s.agent, r.s.logs, fi)
					})
					if err := r.w.appendLines(f, r.tm.rate/files, p); err != nil {
						r.t.Fatal(err)
					}
					if err := os.Remove(p); err != nil {
						r.t.Fatal(err)
					}
				}
			})
		}
	}},
	// A file is deleted and a new one gets its inode: same device and
	// inode as a saved position, other first line, so another identity.
	{name: "inode-reuse", fault: func(r *run) {
		const rounds = 2
		reused := 0
		for range rounds {
			time.Sleep(r.tm.window / rounds)
			r.w.paused(func([]int) {
				if reuseInode(r, 2) {
					reused++
				}
			})
		}
		if reused == 0 {
			r.t.Skipf("the filesystem of %s never handed a freed inode out again in %d rounds of %d tries: inode reuse not exercised",
				r.s.logs, rounds, reuseTries)
		}
	}},
	// Hourly files, as the source documents' apps write them: every file
	// moves on to the next hour's name several times, the old ones stay
	// as they are.
	{name: "next-hourly-file", chaosOnly: true, fault: func(r *run) {
		const hours = 4
		for range hours {
			time.Sleep(r.tm.window / hours)
			r.w.nextHour()
		}
	}},
	// A file is truncated and written again from the same first line: the
	// new content is a new generation with new ids, never taken for lines
	// already shipped.
	{name: "truncate-then-rewrite", chaosOnly: true, fault: func(r *run) {
		const rounds = 3
		for range rounds {
			time.Sleep(r.tm.window / rounds)
			r.w.paused(func(written []int) {
				waitShipped(r, 3, written)
				rewrite(r, 3)
			})
		}
		// Every generation's first line is a document of its own.
		devstack.WaitFor(r.t, r.tm.drainTimeout, "every rewrite's first line to be indexed", func() bool {
			return copies(r.s.es, headerText(3)) >= rounds
		})
		if n := copies(r.s.es, headerText(3)); n != rounds {
			r.t.Errorf("the first line of %d rewrites is in %d documents", rounds, n)
		}
	}},
	// The task is removed while lines are in flight and unread: the cloud
	// cluster holds its acks, and a burst larger than the agent's byte
	// budget waits in the files. The agent must ship what its files held
	// when it applied the removal, then stop: the writer is paused from
	// the burst until the removed task closed its files, and lines written
	// afterwards are owed to no one, so the oracle counts any of them
	// indexed as foreign.
	{name: "task-removed-in-flight", fault: func(r *run) {
		time.Sleep(r.tm.window / 2)
		r.w.promiseOnly(func(written []int) {
			release := holdAcks(r.s.cloud)
			defer release()
			for f := range written {
				if err := r.w.appendLines(f, budgetLines/files*2, r.w.path(f)); err != nil {
					r.t.Fatal(err)
				}
			}
			st := removeTask(r)
			r.t.Logf("task removed: %d lines written, %d indexed, %d bytes in flight in the agent",
				sum(written), r.s.es.Count(indices), st.InflightB)
			release()
			devstack.WaitFor(r.t, r.tm.drainTimeout, "the removed task to ship its files and close them", func() bool {
				return len(heldFiles(r.s.agent, r.s.logs)) == 0
			})
		})
		time.Sleep(r.tm.window / 2)
	}},
}

// budgetLines is about how many of the writer's lines fill the agent's
// default in-flight budget (16 MiB; a line costs its bytes plus about
// 800 B of record overhead).
const budgetLines = 16 << 20 / 900

func sum(ns []int) int {
	total := 0
	for _, n := range ns {
		total += n
	}
	return total
}
