package logagent

import (
	"context"
	"time"

	"github.com/logpipe/logpipe/internal/flow"
)

// handOver is how a line becomes a record in the producer's hands, for a
// harvester (harvester.send) and a reship (reshipRunner.send) alike: its
// bytes are taken from its task's share and the agent's budget, the line is
// cut to what Kafka takes, its record built, numbered in its file's tracker
// and queued for its partition — without ever waiting. When something
// downstream has no room, nothing is kept: the record is dropped from the
// tracker (the position stays before it), its bytes go back, and the
// caller learns what to wait for (errMustWait and a blocked).
type handOver struct {
	prod   *producer
	budget *flow.Budget
	link   *taskLink
	tm     *taskMetrics
	tr     *flow.Tracker
	rb     *recordBuilder
}

// offer hands ev over. stamp gives the line's lp.ts once its bytes are taken
// and before the tracker numbers it; its error ends the offer with nothing
// kept. Not handed over for want of room, offer returns errMustWait and what
// ev waits for.
func (h *handOver) offer(ctx context.Context, ev Event, now time.Time, stamp func() (int64, error)) (blocked, error) {
	size := int64(len(ev.Data)) + recordSizeOverhead
	if !h.link.share.tryAcquire(h.budget, size) {
		return blocked{from: ev.Offset, n: size}, errMustWait
	}
	ts, err := stamp()
	if err != nil {
		h.link.share.release(h.budget, size)
		return blocked{}, err
	}
	if len(ev.Data) > h.prod.maxValue {
		ev.Data, ev.Truncated = capUTF8(ev.Data, h.prod.maxValue), true
	}
	r := h.rb.build(ev, now, ts)
	r.tr, r.seq, r.end, r.size, r.tm, r.link = h.tr, h.tr.Add(), ev.End, size, h.tm, h.link
	space, err := h.prod.trySend(ctx, h.rb, r)
	if err != nil || space != nil {
		// Never handed over: forget it. Sent again, it keeps its id.
		h.tr.Drop(r.seq)
		h.link.share.release(h.budget, size)
		r.release()
		if err != nil {
			return blocked{}, err
		}
		return blocked{from: ev.Offset, n: size, space: space}, errMustWait
	}
	if ev.Truncated {
		h.tm.truncd.Inc()
	}
	h.tm.produced.Inc()
	return blocked{}, nil
}
