//go:build linux

package e2e

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
)

// tally is what the oracle found for a scenario.
type tally struct {
	written, indexed    int
	missing, duplicates int // written lines in no document / in more than one
	foreign             int // documents holding no written line
	headers             int // documents holding a headerText: not written lines, not foreign
	disorder            int // first arrivals in the cloud topic after a later line of their file
	kafkaMissing        int // written lines never seen in the cloud topic
}

// lineSet counts occurrences of each written line, by file and sequence.
type lineSet [][]uint8

func newLineSet(written []int) lineSet {
	ls := make(lineSet, len(written))
	for f, n := range written {
		ls[f] = make([]uint8, n)
	}
	return ls
}

// add counts a line and reports whether it was written and its count.
func (ls lineSet) add(msg string) (uint8, bool) {
	f, seq, ok := parseLine(msg)
	if !ok || f >= len(ls) || seq >= len(ls[f]) {
		return 0, false
	}
	if ls[f][seq] < 255 {
		ls[f][seq]++
	}
	return ls[f][seq], true
}

// count tells how many lines were never seen and how many more than once.
func (ls lineSet) count() (missing, dups int) {
	for _, f := range ls {
		for _, n := range f {
			switch {
			case n == 0:
				missing++
			case n > 1:
				dups++
			}
		}
	}
	return missing, dups
}

// checkIndex reads every document of the suite's indices from the
// stand-in and matches it with the written lines.
func checkIndex(es *esdev.Server, written []int, tl *tally) error {
	ls := newLineSet(written)
	eachMessage(es, func(msg string) {
		tl.indexed++
		switch _, ok := ls.add(msg); {
		case ok:
		case isHeader(msg):
			tl.headers++
		default:
			tl.foreign++
		}
	})
	tl.missing, tl.duplicates = ls.count()
	return nil
}

// copies counts the documents of the suite's indices holding msg.
func copies(es *esdev.Server, msg string) int {
	n := 0
	eachMessage(es, func(m string) {
		if m == msg {
			n++
		}
	})
	return n
}

// eachMessage calls fn with the message of every document of the suite's
// indices.
func eachMessage(es *esdev.Server, fn func(msg string)) {
	for _, index := range es.Indices() {
		if strings.HasPrefix(index, topic+"-") {
			es.EachMessage(index, fn)
		}
	}
}

// checkOrder reads the cloud topic until every written line was seen and
// counts first arrivals that came after a later line of the same file
// identity in the same partition (a file's lines share a key, so a
// partition). Identity, not path: after a rename rotation the renamed
// file's tail and the new file under its name are read side by side, and
// each must be in order on its own.
func checkOrder(ctx context.Context, brokers []string, written []int, tl *tally) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	ls := newLineSet(written)
	want := 0
	for _, n := range written {
		want += n
	}
	counted, distinct := 0, 0
	recs, err := devstack.ReadUntil(ctx, brokers, topic, func(rs []devstack.Record) bool {
		for _, r := range rs[counted:] {
			if n, ok := ls.add(r.Value); ok && n == 1 {
				distinct++
			}
		}
		counted = len(rs)
		return distinct >= want
	})
	tl.kafkaMissing = want - distinct
	slices.SortStableFunc(recs, func(a, b devstack.Record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	first := newLineSet(written)
	type key struct {
		part   int32
		fileID string // a rotated file's generations are ordered apart
		file   int
	}
	top := map[key]int{}
	for _, r := range recs {
		f, seq, ok := parseLine(r.Value)
		if n, ok2 := first.add(r.Value); !ok || !ok2 || n > 1 {
			continue
		}
		k := key{r.Partition, fileIDOf(r), f}
		if last, ok := top[k]; ok && seq < last {
			tl.disorder++
		} else {
			top[k] = seq
		}
	}
	return err
}

// fileIDOf is the file identity a record was read from: its lp.id is
// "<file id>-<byte offset>".
func fileIDOf(r devstack.Record) string {
	id := r.Headers["lp.id"]
	if i := strings.LastIndexByte(id, '-'); i >= 0 {
		return id[:i]
	}
	return id
}
