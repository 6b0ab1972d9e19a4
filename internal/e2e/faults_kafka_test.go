//go:build linux

package e2e

import (
	"context"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// kafkaCopies reads the cloud topic until it holds every line written by
// half a second from now, and returns how many records of those lines it
// read and how many lines they were. A file's lines stay in one partition in
// order, so the copies of batches retried before now are read by then.
func kafkaCopies(r *run) (records, lines int) {
	r.t.Helper()
	n := r.w.total() + r.tm.rate/2
	devstack.WaitFor(r.t, time.Minute, "the writer", func() bool { return r.w.total() >= n })
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
	defer cancel()
	records, lines, err := cloudCopies(ctx, r.s, r.w.counts())
	if err != nil {
		r.t.Fatalf("reading the cloud topic: %v", err)
	}
	return records, lines
}

// cloudCopies reads the cloud topic until every line of written is there,
// and returns how many records of those lines it read and how many lines.
func cloudCopies(ctx context.Context, s *stack, written []int) (records, lines int, err error) {
	want := lineTotal(written)
	ls := newLineSet(written)
	counted := 0
	_, err = devstack.ReadUntil(ctx, s.cloud.Addrs(), topic, func(rs []devstack.Record) bool {
		for _, rec := range rs[counted:] {
			if c, ok := ls.add(rec.Value); ok {
				records++
				if c == 1 {
					lines++
				}
			}
		}
		counted = len(rs)
		return lines >= want
	})
	return records, lines, err
}

// kafkaDuplicated fails unless the cloud topic holds duplicate records: the
// fault (what) must have made the agent send lines twice.
func kafkaDuplicated(r *run, what string) {
	r.t.Helper()
	records, lines := kafkaCopies(r)
	r.t.Logf("%s: %d records in the cloud topic for %d lines", what, records, lines)
	if records <= lines {
		r.t.Errorf("%s, yet no line is twice in the cloud topic: no batch was sent again", what)
	}
}
