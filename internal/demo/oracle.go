package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/logpipe/logpipe/internal/esdev"
)

// oracle checks, while the demo runs, that every written line becomes
// exactly one document, in bounded memory:
//
//	generator ──wrote──▶ window: hash and documents seen, per line written in the last hold
//	search pages ──▶ count ◀── expiry hook (documents retention dropped before a search read them)
//	forget: lines written hold ago or longer leave the window; unseen ones wait in lost
//
// It reads each document once, through the search API, as it becomes
// searchable: per index it pages in _doc order from the last document it
// read. A document the stand-in's retention drops before a search read it
// is counted from the expiry hook instead, so retention is never a loss
// and an expired duplicate still counts. A line leaves the window hold
// after it was written; one no document held by then waits in lost (its
// hash by sequence number) until one does. A document for a line that left
// the window seen is a duplicate, its content no longer checked.
//
// Memory: 8 bytes per line of the window (rate × hold), one write-time
// entry per generator batch of it, one map entry per lost line, one cursor
// per index.
//
// NOTE: counting each document once rests on three facts of the stand-in:
// a search sees a prefix of each index in _doc order (all up to its last
// refresh), retention drops an index's documents oldest first, and the
// expiry hook runs under the lock searches take. So a page never skips a
// document that was still there, a dropped document after the read cursor
// was in no page counted yet (the hook counts it), and a page document at
// or before the dropped cursor was counted by the hook (the page skips it).
type oracle struct {
	hold   time.Duration
	writes *writeLog

	pollMu sync.Mutex // one poll at a time: a cursor moves only forward

	mu      sync.Mutex
	base    int64       // sequence number of window[0]
	window  []lineState // lines base, base+1, …
	lost    map[int64]uint32
	unseen  int64 // lines no document held yet, in the window and lost
	cursors map[string]*cursor
	c       check
}

type lineState struct {
	hash uint32
	docs uint8 // documents seen holding the line, saturating
}

// cursor is where the oracle is in one index: the _doc sort values of the
// last document a search read, and of the last one retention dropped
// (retention drops an index's documents oldest first).
type cursor struct{ read, dropped int64 }

func newOracle(hold time.Duration, writes *writeLog) *oracle {
	return &oracle{hold: hold, writes: writes, lost: map[int64]uint32{}, cursors: map[string]*cursor{}}
}

// wrote records lines first, first+1, … by their hashes, written at at.
// The generator calls it before writing them, so no document can come
// before its line.
func (o *oracle) wrote(first int64, hashes []uint32, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if next := o.base + int64(len(o.window)); first != next {
		panic(fmt.Sprintf("demo oracle: line %d written after line %d", first, next-1))
	}
	for _, h := range hashes {
		o.window = append(o.window, lineState{hash: h})
	}
	o.unseen += int64(len(hashes))
	o.writes.add(first, at)
}

// countLocked records one document holding msg. The caller holds o.mu.
func (o *oracle) countLocked(msg string) {
	o.c.Indexed++
	seq, ok := lineSeq(msg)
	h := lineHash(msg)
	switch {
	case !ok || seq >= o.base+int64(len(o.window)):
		o.c.Foreign++
	case seq >= o.base:
		l := &o.window[seq-o.base]
		switch {
		case l.hash != h:
			o.c.Foreign++
			return
		case l.docs == 0:
			o.unseen--
		default:
			o.c.Duplicates++
		}
		l.docs = min(l.docs+1, 255)
	default: // the line left the window
		want, isLost := o.lost[seq]
		switch {
		case !isLost:
			o.c.Duplicates++
		case want != h:
			o.c.Foreign++
		default:
			delete(o.lost, seq)
			o.unseen--
			if len(o.lost) == 0 {
				o.lost = map[int64]uint32{} // a Go map never shrinks
			}
		}
	}
}

// expired is the stand-in's ExpireFunc: it counts the documents no search
// read before retention dropped them. It runs under the stand-in's lock, so
// no search answer falls between a drop and this count.
func (o *oracle) expired(docs []esdev.Expired) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range docs {
		cur := o.cursorLocked(d.Index)
		if d.Seq > cur.read {
			o.c.Expired++
			o.countLocked(message(d.Source))
		}
		cur.dropped = max(cur.dropped, d.Seq)
	}
}

func (o *oracle) cursorLocked(index string) *cursor {
	cur := o.cursors[index]
	if cur == nil {
		cur = &cursor{read: -1, dropped: -1}
		o.cursors[index] = cur
	}
	return cur
}

// after is the _doc sort value to search index after.
func (o *oracle) after(index string) int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cursorLocked(index).read
}

// read counts a page of index that a search answered, in _doc order.
// A document retention dropped after the search but before this call was
// counted by expired.
func (o *oracle) read(index string, hits []hit) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cur := o.cursorLocked(index)
	for _, h := range hits {
		if h.seq > cur.dropped {
			o.countLocked(h.message)
		}
		cur.read = max(cur.read, h.seq)
	}
}

// poll reads, through the search API, every document of indices that
// became searchable since the last poll, then forgets the lines written
// hold ago or longer.
func (o *oracle) poll(ctx context.Context, esURL string, indices []string) error {
	o.pollMu.Lock()
	defer o.pollMu.Unlock()
	for _, index := range indices {
		for {
			hits, err := readPage(ctx, esURL, index, o.after(index))
			if err != nil {
				return err
			}
			o.read(index, hits)
			if len(hits) < searchPage {
				break
			}
		}
	}
	o.forget(time.Now())
	return nil
}

// forget moves the lines written hold or longer before now out of the
// window, those no document held yet into lost.
func (o *oracle) forget(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	upto, ok := o.writes.firstAfter(now.Add(-o.hold))
	if !ok {
		upto = o.base + int64(len(o.window))
	}
	n := int(min(max(upto-o.base, 0), int64(len(o.window))))
	for i, l := range o.window[:n] {
		if l.docs == 0 {
			o.lost[o.base+int64(i)] = l.hash
		}
	}
	// Re-slicing keeps the array until append outgrows it, then append
	// copies only the window: memory stays within about twice the window.
	o.window = o.window[n:]
	o.base += int64(n)
	o.writes.trim(o.base)
}

// pending counts the written lines no document held yet.
func (o *oracle) pending() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.unseen
}

// size is how many lines the oracle holds state for.
func (o *oracle) size() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return int64(len(o.window) + len(o.lost))
}

// result is the check so far: lines no document held are missing.
func (o *oracle) result() check {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := o.c
	c.Missing = o.unseen
	return c
}

// message is the "message" field of a document's _source.
func message(src json.RawMessage) string {
	var doc struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(src, &doc) // a document without one is foreign
	return doc.Message
}
