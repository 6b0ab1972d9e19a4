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
	err := r.frame(ctx, p, share, 0, func(ev Event) (bool, error) {
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
		return false, nil
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
func (r *reshipRunner) send(sendCtx context.Context, p *reshipPlan, tr *flow.Tracker, link *taskLink,
	tm *taskMetrics, stamp *reshipStamp, before int64) error {
	k := before
	prod := r.a.producer
	rb := newRecordBuilder(p.topic, r.a.cfg.Agent.ID, p.fileID, r.spec.Path, p.fields)
	return r.frame(sendCtx, p, link.share, p.from, func(ev Event) (bool, error) {
		if ev.Offset >= p.to {
			return true, nil
		}
		size := int64(len(ev.Data)) + recordSizeOverhead
		if err := link.share.bytes.Acquire(sendCtx, size); err != nil {
			return false, err
		}
		if err := r.a.budget.Acquire(sendCtx, size); err != nil {
			link.share.bytes.Release(size)
			return false, err
		}
		if len(ev.Data) > prod.maxValue {
			ev.Data, ev.Truncated = capUTF8(ev.Data, prod.maxValue), true
		}
		rec := rb.build(ev, time.Now(), stamp.stamp(ev.Offset, k))
		k++
		rec.tr, rec.seq, rec.end, rec.size, rec.tm, rec.link = tr, tr.Add(), ev.End, size, tm, link
		if err := prod.send(sendCtx, rb, rec); err != nil {
			tr.Drop(rec.seq)
			r.a.budget.Release(size)
			link.share.bytes.Release(size)
			rec.release()
			return false, err
		}
		tm.produced.Inc()
		r.mu.Lock()
		r.st.Sent++
		r.mu.Unlock()
		return false, nil
	})
}

// frame calls fn with each event of the file from offset start up to its
// saved position (a line end, so the last event is whole), until fn says
// stop. Each chunk is taken into the framer holding one of the share's
// read slots, which it gives back before fn sends: like a harvester, a
// reship never waits for Kafka holding a slot (harvestwait.go).
func (r *reshipRunner) frame(ctx context.Context, p *reshipPlan, share *taskShare, start int64,
	fn func(Event) (stop bool, err error)) error {
	fr, err := NewFramer(p.framer, start)
	if err != nil {
		return err
	}
	buf := make([]byte, readBufSize)
	chunk := func(n int, final bool) (bool, error) {
		if err := share.acquireSlot(ctx); err != nil {
			return true, err
		}
		fr.Write(buf[:n])
		share.releaseSlot()
		now := time.Now()
		next := func() (Event, bool) { return fr.Next(now) }
		if final {
			next = fr.Flush
		}
		for ev, ok := next(); ok; ev, ok = next() {
			if stop, err := fn(ev); stop || err != nil {
				return true, err
			}
		}
		return false, nil
	}
	for off := start; off < p.pos.Offset; {
		n, err := p.f.ReadAt(buf[:min(int64(len(buf)), p.pos.Offset-off)], off)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if n == 0 {
			return io.ErrUnexpectedEOF // shrank below its saved position
		}
		off += int64(n)
		if stop, err := chunk(n, false); stop || err != nil {
			return err
		}
	}
	_, err = chunk(0, true) // a pending multiline event ends at the saved position
	return err
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
