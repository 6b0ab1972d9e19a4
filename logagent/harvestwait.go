package logagent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/logpipe/logpipe/internal/flow"
)

// What a harvester waits for before and between reads: its topic, a read
// slot of its task's share (share.go), room downstream for its records (its
// task's bytes, the agent's budget, its partition's queue), and, after a
// spill, growth past what it saw or the spilled multiline event's timeout.
//
// NOTE: it never waits for anything downstream holding a read slot that
// another harvester waits for. Each task is held to its share of the slots,
// but with more tasks than slots the shares' floor of one adds up to more
// than there are: tasks stuck on Kafka, each holding a slot while it waited
// for bytes, could take every slot and starve a healthy task. So a
// harvester that cannot hand over a record waits keeping its slot and
// framer only until some harvester asks for a slot (shares.contended); then
// it rewinds to that record, gives back its slot and buffers, waits, and
// reads the file again from there (yield). Keeping the slot while nobody
// wants it is what makes the common wait cheap: at full speed a harvester
// waits for Kafka's ack of a batch every few hundred KiB, and re-reading
// each time cost 15 % more CPU per line.

// readBufs recycles the read buffers; the slots are the task's share of
// maxConcurrentReads (share.go). A harvester starts each read with a small
// one and takes a large one only after a read filled it (readMore): with
// every file read on the same tick, sixteen files growing a few KiB a tick
// each held a 128 KiB read buffer and a 256 KiB framer buffer at the same
// moment (make bench, twenty files at 7,000 lines/s: peak RSS 27.9 / 28.8
// → 20.4 / 19.1 MB; one file unchanged). A pending multiline event does not
// time out after a full read (emitExpiring): read in 32 KiB chunks, a long
// event read after its timeout would otherwise ship its head alone.
var (
	readBufs      = sync.Pool{New: func() any { return new([readBufSize]byte) }}
	smallReadBufs = sync.Pool{New: func() any { return new([smallReadBufSize]byte) }}
)

// smallReadBufSize is the first read of a cycle: what a file written at a
// few thousand lines a second grows by in a read_interval.
const smallReadBufSize = 32 << 10

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
	return smallReadBufs.Get().(*[smallReadBufSize]byte)[:], nil
}

// readMore returns the buffer for the read after one that filled b: a large
// one, for the same read slot.
func readMore(b []byte) []byte {
	if len(b) == readBufSize {
		return b
	}
	poolReadBuf(b)
	return readBufs.Get().(*[readBufSize]byte)[:]
}

// poolReadBuf gives a read buffer back to its pool.
func poolReadBuf(b []byte) {
	if len(b) == readBufSize {
		readBufs.Put((*[readBufSize]byte)(b))
	} else {
		smallReadBufs.Put((*[smallReadBufSize]byte)(b))
	}
}

// putReadBuf gives a buffer from getReadBuf (or readMore) back, with its
// slot; nil is a no-op.
func (h *harvester) putReadBuf(b []byte) {
	if b != nil {
		poolReadBuf(b)
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

// blocked is what a harvester waits for before it sends an event again.
type blocked struct {
	from  int64           // the offset of the event that was not sent
	n     int64           // its bytes, in its task's share and the budget
	space <-chan struct{} // the partition queue's when it was full; nil: bytes were short
}

// sendHolding sends ev. While there is no room downstream it waits holding
// its read slot and its framer — the cheap wait, as Kafka acks a batch — but
// only while no harvester waits for a slot; then it returns errMustWait and
// the read loop yields.
func (h *harvester) sendHolding(ctx context.Context, ev Event, now time.Time) error {
	for {
		err := h.send(ctx, ev, now)
		if !errors.Is(err, errMustWait) {
			return err
		}
		room, err := h.waitRoom(ctx, h.blocked, false, h.task.link.share.s.contended())
		if err != nil || !room {
			return cmp.Or(err, errMustWait)
		}
	}
}

// flushQueued lets the records this harvester queued go without their
// linger: it is about to wait, or at the end of what its file holds.
func (h *harvester) flushQueued() {
	if h.unflushed {
		h.task.producer.flush(h.rb)
		h.unflushed = false
	}
}

// yield rewinds to the event that was not sent, gives back the read slot
// and buffer, and waits for what blocked it: room for a read's worth of
// records (half the task's share at most) when bytes were short, so that
// it does not read a chunk again to send one line. The next read starts at
// that event.
func (h *harvester) yield(ctx context.Context, fr *Framer, buf *[]byte) error {
	b := h.blocked
	fr.Rewind(b.from)
	if _, err := h.f.Seek(b.from, io.SeekStart); err != nil {
		return fmt.Errorf("seeking back to an unsent line at %d: %w", b.from, err)
	}
	h.readOff, h.spilled = b.from, false
	h.flushQueued()
	h.putReadBuf(*buf)
	*buf = nil
	h.task.tm.yields.Inc()
	_, err := h.waitRoom(ctx, b, true, nil)
	return err
}

// waitRoom waits until there may be room for what blocked b, or stop is
// closed (room false), ctx ends or the producer closes. With read set it
// waits for room for a read's worth of records.
func (h *harvester) waitRoom(ctx context.Context, b blocked, read bool, stop <-chan struct{}) (room bool, err error) {
	t := h.task
	return waitRoom(ctx, t.producer, t.link.share, t.budget, b, read, stop)
}

// waitRoom waits until share and budget may have room for what blocked b
// (with read set, for a read's worth of records: half the share at most),
// or stop is closed (room false), ctx ends or prod closes.
func waitRoom(ctx context.Context, prod *producer, share *taskShare, budget *flow.Budget, b blocked, read bool,
	stop <-chan struct{}) (room bool, err error) {
	want := b.n
	if read {
		want = max(b.n, min(readBufSize, share.bytes.Limit()/2))
	}
	for {
		c := b.space
		if c == nil {
			c = share.room(budget, want, b.n)
		} else if closed(c) {
			c = nil // a batch was cut: there may be room
		}
		if c == nil {
			return true, nil
		}
		select {
		case <-c:
		case <-stop:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		case <-prod.closing:
			return false, errProducerClosed
		}
	}
}
