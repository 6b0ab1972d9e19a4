package logagent

import (
	"context"
	"sync"
	"time"
)

// What a harvester waits for before and between reads: its topic, a read
// slot of its task's share (share.go), and, after a spill, growth past what
// it saw or the spilled multiline event's timeout.

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
