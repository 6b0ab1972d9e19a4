package logagent

import (
	"context"
	"log/slog"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// stamper gives each line of one harvester its lp.ts by the anchor rule
// (anchors.go). Only the harvester's goroutine uses it.
type stamper struct {
	store *anchorStore
	key   anchorKey
	log   *slog.Logger
	// replay are the anchors that were durable when the harvester started:
	// lines they cover may have been sent by an earlier run, so they are
	// honoured whatever their age. replayEnd is where their cover ends.
	replay    []anchor
	replayEnd int64
	cur       anchor // the anchor this run took last, valid while has
	has       bool
	tick      int64 // the anchorGranularity tick cur was taken in
	// tickOff is where the first anchor of tick began; perTick is how
	// many bytes a tick took before it: the reservation follows the
	// file's rate, not what a (possibly short) previous anchor covered.
	tickOff, perTick int64
	sentEnd          int64 // end of the last line handed to the producer
}

func newStamper(store *anchorStore, key anchorKey, start int64, log *slog.Logger) *stamper {
	s := &stamper{store: store, key: key, log: log, replay: store.get(key), sentEnd: start}
	for _, a := range s.replay {
		s.replayEnd = max(s.replayEnd, a.End)
	}
	return s
}

// stamp returns the lp.ts (Unix milliseconds) of the line starting at off,
// read at now with the file read up to readOff. When the line needs a new
// anchor it returns only once that anchor is on disk, or ctx ended.
func (s *stamper) stamp(ctx context.Context, off int64, now time.Time, readOff int64) (int64, error) {
	if ts, ok := s.fromReplay(off); ok {
		return ts, nil
	}
	tick := now.UnixNano() / int64(anchorGranularity)
	if s.has && off >= s.cur.Off && off < s.cur.End && tick == s.tick {
		return s.cur.TS, nil
	}
	switch {
	case !s.has:
		s.tickOff = off
	case tick != s.tick:
		s.perTick = (off - s.tickOff) / max(tick-s.tick, 1)
		s.tickOff = off
	}
	// Twice a tick's bytes, or twice what this tick took so far when the
	// file speeds up past its reservation.
	slack := max(anchorMinSlack, 2*s.perTick, 2*(off-s.tickOff))
	a := anchor{Off: off, TS: now.UnixMilli(), End: max(readOff, off+1) + slack}
	for _, r := range s.replay {
		if r.Off > off {
			a.End = min(a.End, r.Off) // from there on an earlier run's anchor rules
			break
		}
	}
	v := s.store.add(s.key, a)
	for failures := 0; ; failures++ {
		err := s.store.waitDurable(v, ctx.Done())
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if failures == 0 {
			s.log.Error("cannot save a time anchor; the file's lines wait", "err", err)
		}
		if err := conf.Sleep(ctx, time.Second); err != nil {
			return 0, err
		}
	}
	s.cur, s.has, s.tick = a, true, tick
	return a.TS, nil
}

// fromReplay returns the time of the earlier run's anchor covering off.
// Lines come in offset order, so anchors behind off are dropped as it goes.
func (s *stamper) fromReplay(off int64) (int64, bool) {
	for len(s.replay) > 1 && s.replay[1].Off <= off {
		s.replay = s.replay[1:]
	}
	if len(s.replay) == 0 {
		return 0, false
	}
	r := s.replay[0]
	if r.Off <= off && off < r.End {
		return r.TS, true
	}
	if r.Off <= off && len(s.replay) == 1 {
		s.replay = nil // past every earlier anchor: never sent before
	}
	return 0, false
}

// sent notes that the line ending at end was handed to the producer.
func (s *stamper) sent(end int64) { s.sentEnd = end }

// done ends the stamper when its harvester ends: nothing past what it sent,
// or what an earlier run may have sent, needs a reserved time any more.
func (s *stamper) done() { s.store.trim(s.key, max(s.sentEnd, s.replayEnd)) }
