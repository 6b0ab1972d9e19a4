package logagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/logpipe/logpipe/internal/flow"
)

// count is the first pass, when the audit ledger may stamp lines or a
// time window must be mapped to offsets (reshipStamp): it frames the file
// from offset 0 to its saved position, enables the ledger's hours when they
// add up to the lines framed, sets a time window's range, and returns how
// many lines lie before the range.
func (r *reshipRunner) count(ctx context.Context, p *reshipPlan, share *taskShare, stamp *reshipStamp) (int64, error) {
	window := !r.spec.FromTime.IsZero()
	if !window && (len(p.hours) == 0 || covered(p.anchors, p.from, p.to)) {
		return 0, nil // nothing to count with, or nothing to count for
	}
	fromHour, toHour := hourOf(r.spec.FromTime.Unix()), hourOf(r.spec.ToTime.Add(time.Hour-time.Second).Unix())
	var total, before int64
	from, to := int64(-1), p.pos.Offset
	_, err := r.frame(ctx, p, share, 0, func(ev Event) (bool, *blocked, error) {
		if window {
			if h, ok := stamp.hourAt(total); ok && h >= fromHour && from < 0 {
				from, before = ev.Offset, total
			}
			if h, ok := stamp.hourAt(total); ok && h >= toHour && to == p.pos.Offset {
				to = ev.Offset
			}
		} else if ev.Offset < p.from {
			before++
		}
		total++
		return false, nil, nil
	})
	if err != nil {
		return 0, err
	}
	stamp.useHours(total)
	if !window {
		return before, nil
	}
	if !stamp.byHour {
		return 0, fmt.Errorf("the audit hours do not account for every line of the file (%d lines up to its saved position %d, the ledger kept %d): give a byte range", total, p.pos.Offset, stamp.ledgerLines())
	}
	if from < 0 || from >= to {
		return 0, fmt.Errorf("no line of the file was counted in the hours of [%s, %s)", time.Unix(fromHour, 0).UTC().Format(time.RFC3339), time.Unix(toHour, 0).UTC().Format(time.RFC3339))
	}
	p.from, p.to = from, to
	return before, nil
}

// send reads the range and hands each line to the producer, within the
// reship's share of the read slots and bytes; before is the number of lines
// before the range (the audit hours number lines from offset 0).
//
// Like a harvester (harvestwait.go), a reship never waits holding memory:
// when a line cannot be handed over at once (its share's bytes, the budget
// or its partition's queue are full) frame lets go of the framer, the read
// buffer and the slot, the reship waits for room for a read's worth of
// lines, and it frames the file again from that line. Until 2026-12 it
// kept a read buffer of its own and its framer's chunk (~400 KiB) while it
// waited for Kafka: reships waiting on a missing topic held memory no
// bound counted, each.
func (r *reshipRunner) send(ctx context.Context, p *reshipPlan, tr *flow.Tracker, link *taskLink,
	tm *taskMetrics, stamp *reshipStamp, before int64) error {
	k := before
	prod, budget := r.a.producer, r.a.budget
	rb := newRecordBuilder(p.topic, r.a.cfg.Agent.ID, p.fileID, r.spec.Path, p.fields)
	// The topic first: no slot is taken while the topic is missing.
	if err := prod.prepare(ctx, rb); err != nil {
		return err
	}
	ho := handOver{prod: prod, budget: budget, link: link, tm: tm, tr: tr, rb: rb}
	trySend := func(ev Event) (*blocked, error) {
		var src stampSource
		b, err := ho.offer(ctx, ev, time.Now(), func() (int64, error) {
			ts, s := stamp.stamp(ev.Offset, k)
			src = s
			return ts, nil
		})
		if errors.Is(err, errMustWait) {
			return &b, nil
		}
		if err != nil {
			return nil, err
		}
		k++
		stamp.sent(src)
		r.mu.Lock()
		r.st.Sent++
		r.mu.Unlock()
		return nil, nil
	}
	for from := p.from; ; {
		b, err := r.frame(ctx, p, link.share, from, func(ev Event) (bool, *blocked, error) {
			if ev.Offset >= p.to {
				return true, nil, nil
			}
			b, err := trySend(ev)
			return false, b, err
		})
		if err != nil || b == nil {
			return err
		}
		prod.flush(rb) // what it queued goes now, without its linger
		if _, err := waitRoom(ctx, prod, link.share, budget, *b, true, nil); err != nil {
			return err
		}
		from = b.from
	}
}

// frame calls fn with each event of the file from offset start up to its
// saved position (a line end, so the last event is whole) until fn says
// stop, or returns what the event it could not take waits for: the caller
// frames again from there once there is room. It reads holding one of the
// share's read slots and a pooled read buffer, and gives both back, with
// the framer's buffer, before it returns — and every readBurst full reads,
// as a harvester does, so that a reship of a large file (the count pass
// reads it from its start) does not keep its task's other files waiting
// for the slot.
func (r *reshipRunner) frame(ctx context.Context, p *reshipPlan, share *taskShare, start int64,
	fn func(Event) (stop bool, b *blocked, err error)) (*blocked, error) {
	fr, err := NewFramer(p.framer, start)
	if err != nil {
		return nil, err
	}
	defer fr.Rewind(start) // gives its buffer back
	if err := share.acquireSlot(ctx); err != nil {
		return nil, err
	}
	buf := readBufs.Get().(*[readBufSize]byte)
	defer func() {
		if buf != nil {
			readBufs.Put(buf)
			share.releaseSlot()
		}
	}()
	reads := 0
	emit := func(next func() (Event, bool)) (stop bool, b *blocked, err error) {
		for ev, ok := next(); ok; ev, ok = next() {
			if stop, b, err := fn(ev); stop || b != nil || err != nil {
				return true, b, err
			}
		}
		return false, nil, nil
	}
	for off := start; off < p.pos.Offset; {
		n, err := p.f.ReadAt(buf[:min(int64(len(buf)), p.pos.Offset-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if n == 0 {
			return nil, io.ErrUnexpectedEOF // shrank below its saved position
		}
		off += int64(n)
		fr.Write(buf[:n])
		// Lines only, no multiline timeout: every byte up to the saved
		// position is written, so a pending event ends at its next first
		// line or at the Flush below, wherever the pass had to wait.
		now := time.Now()
		if stop, b, err := emit(func() (Event, bool) { return fr.NextLine(now) }); stop {
			return b, err
		}
		if n == len(buf) {
			if reads++; reads%readBurst == 0 {
				// Waiters for a slot go first; the framer keeps
				// only the partial line it holds.
				readBufs.Put(buf)
				buf = nil
				share.releaseSlot()
				fr.Shrink()
				if err := share.acquireSlot(ctx); err != nil {
					return nil, err
				}
				buf = readBufs.Get().(*[readBufSize]byte)
			}
		}
	}
	_, b, err := emit(fr.Flush) // a pending multiline event ends at the saved position
	return b, err
}

// waitTracker blocks until every line tr holds is acked or ctx ends.
func waitTracker(ctx context.Context, tr *flow.Tracker) {
	for {
		moved := tr.Moved()
		if _, n := tr.Position(); n == 0 {
			return
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return
		}
	}
}
