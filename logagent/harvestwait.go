package logagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// What a harvester waits for before and between reads: its topic, a read
// slot of its task's share (share.go), room downstream for its records (its
// task's bytes, the agent's budget, its partition's queue), and, after a
// spill, growth past what it saw or the spilled multiline event's timeout.
//
// NOTE: it never waits for anything downstream while it holds a read slot.
// Each task is held to its share of the slots, but with more tasks than
// slots the shares' floor of one adds up to more than there are: tasks stuck
// on Kafka, each holding a slot while it waited for bytes, could take every
// slot and starve a healthy task. So a harvester that cannot hand over a
// record rewinds to it, gives back its slot and buffers, waits, and reads
// the file again from there.

// readBufs recycles the read buffers; the slots are the task's share of
// maxConcurrentReads (share.go).
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// getReadBuf waits until the task's topic can take records, then for a read
// slot within the task's share, and returns its buffer. The topic comes
// first: a harvester never holds a slot while its topic is missing. A drain
// (the task was removed) ends a wait for a missing topic: nothing can ship,
// and the lines stay behind the saved position for a task that comes back.
func (h *harvester) getReadBuf(ctx context.Context) ([]byte, error) {
	t := h.task
	if !closed(h.topicReady) {
		ts := t.producer.topicState(t.task.Topic)
		wctx, cancel := h.waitCtx(ctx)
		err := ts.await(wctx, t.producer)
		cancel()
		if err != nil {
			return nil, err
		}
		h.topicReady = ts.ready
	}
	if err := t.link.share.acquireSlot(ctx); err != nil {
		return nil, err
	}
	return readBufs.Get().(*[readBufSize]byte)[:], nil
}

// putReadBuf gives a buffer from getReadBuf back, with its slot; nil is a no-op.
func (h *harvester) putReadBuf(b []byte) {
	if b != nil {
		readBufs.Put((*[readBufSize]byte)(b))
		h.task.link.share.releaseSlot()
	}
}

// due reports whether deadline (zero: none) has come.
func due(deadline time.Time) bool { return !deadline.IsZero() && !time.Now().Before(deadline) }

// grew reports whether the file holds bytes past seen.
func (h *harvester) grew() bool {
	fi, err := h.f.Stat()
	return err != nil || fi.Size() > h.seen // an error shows on the read
}

// errMustWait says a record could not be handed over without waiting for
// room downstream; the harvester's blocked says what to wait for.
var errMustWait = errors.New("waiting for room downstream")

// blocked is what a harvester must wait for before it sends ev again.
type blocked struct {
	from int64 // the offset of the event that was not sent
	wait func(context.Context) error
}

// mustWait notes that ev was not sent and what to wait for.
func (h *harvester) mustWait(ev Event, wait func(context.Context) error) error {
	h.blocked = &blocked{from: ev.Offset, wait: wait}
	return errMustWait
}

// yield rewinds to the event that was not sent, sends on what was queued,
// gives back the read slot and buffer, and waits for what blocked it. The
// next read starts at that event.
func (h *harvester) yield(ctx context.Context, fr *Framer, buf *[]byte) error {
	b := h.blocked
	h.blocked = nil
	fr.Rewind(b.from)
	if _, err := h.f.Seek(b.from, io.SeekStart); err != nil {
		return fmt.Errorf("seeking back to an unsent line at %d: %w", b.from, err)
	}
	h.readOff, h.spilled = b.from, false
	if h.unflushed {
		h.task.producer.flush(h.rb)
		h.unflushed = false
	}
	h.putReadBuf(*buf)
	*buf = nil
	h.task.tm.yields.Inc()
	return b.wait(ctx)
}
