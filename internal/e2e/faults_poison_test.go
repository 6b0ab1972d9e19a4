//go:build linux

package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logtransfer"
)

// A poison line is one the index refuses (a per-item 400, as for a mapping
// conflict); it matches no written line, so the oracle does not look for it
// in the index, and an indexed one would count as a foreign document.
const poisonMark = "POISON "

// poisonEveryPartition puts a line the index refuses into every written
// file and, as files land in partitions by their key, into further files
// until every partition carried one. Each must reach the dead-letter topic,
// and the lines behind it in its partition the index.
func poisonEveryPartition(r *run) {
	r.s.es.RejectDocs(func(_ string, doc map[string]any) (string, bool) {
		msg, _ := doc["message"].(string)
		return "failed to parse field [message] (an e2e poison line)", strings.HasPrefix(msg, poisonMark)
	})
	parts := partitions(r)
	var poison []string
	add := func(path string) {
		line := fmt.Sprintf("%s%d refused by the index", poisonMark, len(poison))
		appendLine(r, path, line)
		poison = append(poison, line)
	}
	r.w.paused(func(written []int) {
		for f := range written {
			add(r.w.path(f))
		}
	})
	covered := deadLettered(r, poison)
	for round := 0; len(covered) < parts && round < 10; round++ {
		for range parts {
			add(filepath.Join(r.s.logs, fmt.Sprintf("app-poison-%d.log", len(poison))))
		}
		covered = deadLettered(r, poison)
	}
	if len(covered) < parts {
		r.t.Errorf("poison lines dead-lettered from partitions %v only, of %d", slices.Sorted(maps.Keys(covered)), parts)
	}
	catchUp(r, "the lines behind the poison to be indexed")
	r.t.Logf("%d poison lines, all in %s%s from partitions %v", len(poison), topic, logtransfer.DLQSuffix, slices.Sorted(maps.Keys(covered)))
}

// partitions is the number of partitions of the topic on the IDC cluster.
func partitions(r *run) int {
	cl, err := sarama.NewClient(r.s.idc.Addrs(), sarama.NewConfig())
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	ps, err := cl.Partitions(topic)
	if err != nil {
		r.t.Fatalf("partitions of %s: %v", topic, err)
	}
	return len(ps)
}

func appendLine(r *run, path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		r.t.Fatal(err)
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.t.Fatal(err)
	}
}

// deadLettered reads the dead-letter topic until it holds every line of
// poison and returns the source partitions they came from.
func deadLettered(r *run, poison []string) map[int32]bool {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), time.Minute)
	defer cancel()
	want := map[string]bool{}
	for _, p := range poison {
		want[p] = true
	}
	from := map[int32]bool{}
	counted := 0
	_, err := devstack.ReadUntil(ctx, r.s.idc.Addrs(), topic+logtransfer.DLQSuffix, func(rs []devstack.Record) bool {
		for _, rec := range rs[counted:] {
			delete(want, rec.Value)
			var p int32
			if _, err := fmt.Sscanf(rec.Headers["lp.dlq.source"], topic+"/%d/", &p); err != nil {
				r.t.Errorf("dead letter %q: source %q: %v", rec.Value, rec.Headers["lp.dlq.source"], err)
			}
			from[p] = true
		}
		counted = len(rs)
		return len(want) == 0
	})
	if err != nil {
		r.t.Fatalf("%d poison lines not dead-lettered: %v", len(want), err)
	}
	return from
}
