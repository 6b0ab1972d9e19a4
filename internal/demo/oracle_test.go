package demo

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/esdev"
)

// oracleLines writes n generated lines to a new oracle keeping them for
// hold, at at, and returns the oracle and the lines.
func oracleLines(n int, hold time.Duration, at time.Time) (*oracle, []string) {
	o := newOracle(hold, &writeLog{})
	rnd := rand.New(rand.NewPCG(1, 2))
	var lines []string
	var hashes []uint32
	for seq := range int64(n) {
		l := line(rnd, at, seq)
		lines, hashes = append(lines, l), append(hashes, lineHash(l))
	}
	o.wrote(0, hashes, at)
	return o, lines
}

func expiredDoc(index string, seq int64, msg string) esdev.Expired {
	src, _ := json.Marshal(map[string]string{"message": msg})
	return esdev.Expired{Index: index, Seq: seq, Source: src}
}

// TestOracleCountsEachDocumentOnce: a document is counted once whether a
// search read it, retention dropped it first, or both happened in either
// order around one search; an expired duplicate still counts.
func TestOracleCountsEachDocumentOnce(t *testing.T) {
	at := time.Date(2020, 6, 23, 18, 0, 0, 0, time.UTC)
	o, l := oracleLines(6, time.Minute, at)
	o.read("i", []hit{{0, l[0]}, {1, l[1]}})
	// Dropped after a search read it (ignored), and before any did (counted).
	o.expired([]esdev.Expired{expiredDoc("i", 0, l[0]), expiredDoc("i", 2, l[2])})
	// A search that ran before document 2 expired returns it again: counted
	// already. Document 3 was dropped after that search, before its page was
	// counted: counted by the hook, not again by the page.
	o.expired([]esdev.Expired{expiredDoc("i", 3, l[3])})
	o.read("i", []hit{{2, l[2]}, {3, l[3]}, {4, l[4]}})
	if got := o.after("i"); got != 4 {
		t.Errorf("next search after %d, want 4", got)
	}
	// Line 4 again, in another index, dropped unread: a duplicate.
	o.expired([]esdev.Expired{expiredDoc("j", 0, l[4])})
	want := check{Indexed: 6, Expired: 3, Missing: 1, Duplicates: 1}
	if c := o.result(); c != want {
		t.Errorf("check %+v, want %+v (line 5 never arrived)", c, want)
	}
}

// TestOracleForgets: lines leave the window hold after they were written;
// one no document held waits, still checkable, until one does; a later
// document for a line seen before it left is a duplicate.
func TestOracleForgets(t *testing.T) {
	at := time.Date(2020, 6, 23, 18, 0, 0, 0, time.UTC)
	o, l := oracleLines(3, time.Second, at)
	o.read("i", []hit{{0, l[0]}, {1, l[1]}})
	o.forget(at.Add(time.Second - time.Nanosecond)) // written less than hold ago
	if o.size() != 3 || o.pending() != 1 {
		t.Fatalf("size %d, pending %d; want 3, 1", o.size(), o.pending())
	}
	o.forget(at.Add(time.Second))
	if o.size() != 1 || o.pending() != 1 || len(o.window) != 0 {
		t.Fatalf("size %d (window %d), pending %d; want only line 2, lost", o.size(), len(o.window), o.pending())
	}
	o.read("i", []hit{{2, l[2] + " changed"}, {3, l[2]}, {4, l[0]}})
	want := check{Indexed: 5, Duplicates: 1, Foreign: 1}
	if c := o.result(); c != want || o.size() != 0 {
		t.Errorf("check %+v, size %d; want %+v, 0", c, o.size(), want)
	}
	// The next batch of lines continues the sequence.
	o.wrote(3, []uint32{lineHash("x")}, at.Add(2*time.Second))
	if o.pending() != 1 || o.base != 3 {
		t.Errorf("pending %d, base %d; want 1, 3", o.pending(), o.base)
	}
}
