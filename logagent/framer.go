package logagent

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"time"
)

// DefaultMaxLineBytes is the FramerConfig.MaxLineBytes used when it is zero.
const DefaultMaxLineBytes = 1 << 20

// FramerConfig says how bytes become events. Zero values mean defaults.
type FramerConfig struct {
	// MaxLineBytes bounds an event's Data (default DefaultMaxLineBytes). A
	// longer event is cut to this many bytes and flagged Truncated; the rest
	// of its line is skipped without being buffered but stays inside the
	// event's byte range.
	MaxLineBytes int
	// Encoding of the file: "", "utf-8" or "utf8" (kept, invalid bytes become
	// U+FFFD), "gbk" or "gb18030" (converted to UTF-8).
	Encoding string
	// Multiline joins lines into events; nil means one event per line.
	Multiline *Multiline
}

// Event is one log event cut from a file.
type Event struct {
	// Data is valid UTF-8 without the trailing "\n" or "\r\n"; the lines of a
	// multiline event are joined with "\n". It is valid only until the next
	// call on the Framer.
	Data []byte
	// Offset is the file offset of the event's first byte.
	Offset int64
	// End is the file offset just past the event's last LF: the position to
	// save once this event is acked. The next event starts here.
	End int64
	// Truncated says bytes or lines of the event were dropped to respect
	// MaxLineBytes or Multiline.MaxLines.
	Truncated bool
}

// Framer cuts appended file bytes into events whose byte ranges tile the
// file, so a position saved from Event.End never skips or repeats a line.
// Not safe for concurrent use.
//
// NOTE: memory is bounded per line: of a line longer than MaxLineBytes only
// the first MaxLineBytes bytes are kept (plus the chunk being written); the
// rest is counted, never buffered.
type Framer struct {
	limit int
	text  *textDecoder
	ml    *joiner // nil: one event per line

	buf  []byte // written bytes not yet cut into lines: buf[r:]
	r    int
	off  int64 // file offset of buf[r]
	tail int   // buf index of the incomplete last line; buf[r:tail] holds whole lines

	skipping bool   // the incomplete last line is over-long: drop bytes until its LF
	skipN    int64  // bytes dropped so far from that line
	skips    []skip // dropped bytes of over-long lines still in buf, oldest first

	// spillAt is the most an idle framer keeps (Spill); replayEnd and
	// replayAt say that lines ending at or before replayEnd were read
	// before a Spill dropped them, while they extended a pending multiline
	// event last at replayAt: read again, they keep that time, so the
	// event times out as if it had been kept.
	spillAt   int
	replayEnd int64
	replayAt  time.Time

	written int64 // file offset just past the last byte written
}

// skip records that n file bytes were dropped just before the LF at buf[lf].
type skip struct {
	lf int
	n  int64
}

// NewFramer returns a Framer for cfg. offset is the file offset of the first
// byte that will be written to it (a saved position, or 0).
func NewFramer(cfg FramerConfig, offset int64) (*Framer, error) {
	if cfg.MaxLineBytes < 0 {
		return nil, errors.New("max_line_bytes: must not be negative")
	}
	if cfg.MaxLineBytes == 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	text, err := newTextDecoder(cfg.Encoding)
	if err != nil {
		return nil, err
	}
	f := &Framer{limit: cfg.MaxLineBytes, text: text, off: offset, written: offset, spillAt: shrinkKeep}
	if cfg.Multiline != nil {
		if f.ml, err = newJoiner(cfg.Multiline, cfg.MaxLineBytes); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Write appends bytes read from the file. The framer copies what it keeps, so
// the caller may reuse p once Write returns.
func (f *Framer) Write(p []byte) {
	f.written += int64(len(p))
	if f.skipping {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			f.skipN += int64(len(p))
			return
		}
		f.skipN += int64(i)
		p = p[i:]
		f.compact(len(p))
		f.skips = append(f.skips, skip{lf: len(f.buf), n: f.skipN})
		f.skipping, f.skipN = false, 0
	} else {
		f.compact(len(p))
	}
	f.grow(len(p))
	f.buf = append(f.buf, p...)
	if i := bytes.LastIndexByte(p, '\n'); i >= 0 {
		f.tail = len(f.buf) - len(p) + i + 1
	}
	// One byte of slack keeps a line of exactly limit bytes plus "\r\n" whole
	// until its LF shows whether that CR ends it.
	if n := len(f.buf) - f.tail; n > f.limit+1 {
		f.skipN = int64(n - f.limit)
		f.buf = f.buf[:f.tail+f.limit]
		f.skipping = true
	}
}

// compact moves the unread bytes to the front of buf when that avoids
// growing it for n more bytes.
func (f *Framer) compact(n int) {
	if f.r == 0 || (f.r < len(f.buf) && len(f.buf)+n <= cap(f.buf)) {
		return
	}
	m := copy(f.buf, f.buf[f.r:])
	f.buf = f.buf[:m]
	f.tail -= f.r
	for i := range f.skips {
		f.skips[i].lf -= f.r
	}
	f.r = 0
}

// frameBufSize is the size of the pooled buffers a reading framer grows
// into: a read chunk (128 KiB) and the incomplete line before it. A framer
// let go of its buffer at every end-of-file wait (Shrink) and grew a new one
// at the next read: at 7,000 lines/s that was 15 % of the bytes the agent
// allocated, and of its GC work. A read of what a file grew by in a tick
// is mostly small (harvestwait.go): it takes a small pooled buffer first.
const (
	frameBufSize      = 256 << 10
	smallFrameBufSize = 64 << 10
)

var (
	frameBufs      = sync.Pool{New: func() any { return new([frameBufSize]byte) }}
	smallFrameBufs = sync.Pool{New: func() any { return new([smallFrameBufSize]byte) }}
)

// grow makes room for n more bytes, in a pooled buffer when they fit one.
// A long line that outgrows a pooled buffer is copied out of it and the
// buffer given back, rather than left to the GC by append.
func (f *Framer) grow(n int) {
	need := len(f.buf) + n
	if need <= cap(f.buf) || need <= shrinkKeep {
		return // room enough, or a few bytes: append grows it
	}
	var nb []byte
	switch c := cap(f.buf); {
	case need <= smallFrameBufSize:
		nb = smallFrameBufs.Get().(*[smallFrameBufSize]byte)[:len(f.buf)]
	case need <= frameBufSize:
		nb = frameBufs.Get().(*[frameBufSize]byte)[:len(f.buf)]
	case c == frameBufSize || c == smallFrameBufSize:
		nb = slices.Grow([]byte(nil), need)[:len(f.buf)]
	default:
		return // a long line already off the pools: append grows it
	}
	copy(nb, f.buf)
	f.putBuf()
	f.buf = nb
}

// putBuf gives buf back to its pool if it came from one. Nothing may use it
// afterwards.
func (f *Framer) putBuf() {
	switch cap(f.buf) {
	case frameBufSize:
		frameBufs.Put((*[frameBufSize]byte)(f.buf[:frameBufSize]))
	case smallFrameBufSize:
		smallFrameBufs.Put((*[smallFrameBufSize]byte)(f.buf[:smallFrameBufSize]))
	}
	f.buf = nil
}

// shrinkKeep is the buffer an idle framer keeps: a harvester reads 128 KiB at
// a time, and a thousand idle files must not each hold that much.
const shrinkKeep = 4 << 10

// Shrink lets go of a large buffer when few bytes are pending (the file is
// idle). The next Write grows it again.
func (f *Framer) Shrink() {
	pending := len(f.buf) - f.r
	if cap(f.buf) <= shrinkKeep || pending > shrinkKeep {
		return
	}
	var nb []byte
	if pending > 0 {
		nb = make([]byte, pending, shrinkKeep)
		copy(nb, f.buf[f.r:])
	}
	f.tail -= f.r
	for i := range f.skips {
		f.skips[i].lf -= f.r
	}
	f.putBuf()
	f.r, f.buf = 0, nb
	if f.ml != nil && !f.ml.open {
		f.ml.release()
	}
}

// Spill drops what an idle framer holds beyond spillAt — an incomplete last
// line, and a pending multiline event with it — and returns the offset where
// the dropped bytes start: the caller reads the file again from there once
// it grew, or once Deadline passed. Idle files mid-way through long lines or
// long multiline events then hold no memory (the file is the buffer); a
// line or event still being written costs a re-read of its head per wait,
// not memory per file. Read again, the lines of a dropped multiline event
// keep the time they last extended it (replayAt), so it times out when it
// would have. It does nothing (ok false) while complete lines are not all
// returned yet.
func (f *Framer) Spill() (from int64, ok bool) {
	open := f.ml != nil && f.ml.open
	held := len(f.buf) - f.r
	if open {
		held += len(f.ml.data)
	}
	if f.r < f.tail || (held <= f.spillAt && !f.skipping) {
		return 0, false
	}
	from = f.off
	if open {
		from, f.replayEnd, f.replayAt = f.ml.start, f.ml.end, f.ml.last
	}
	f.Rewind(from)
	return from, true
}

// Rewind drops everything the framer holds, from the event starting at from
// on: the last one Next or Flush returned, which the caller could not take.
// The caller reads the file again from there; the next Write must start at
// from. A harvester that has to wait for room downstream rewinds so that it
// waits holding no buffers (harvestwait.go). A multiline event timed out
// and then rewound may, read again, take continuation lines written since.
func (f *Framer) Rewind(from int64) {
	f.putBuf()
	f.r, f.tail, f.skips = 0, 0, nil
	f.skipping, f.skipN = false, 0
	f.off, f.written = from, from
	if f.ml != nil {
		f.ml.open = false
		f.ml.release()
	}
}

// Next returns the next complete event, or ok=false when more bytes are
// needed. now is used only for multiline timeouts: lines already written
// extend a pending multiline event before its timeout is checked, so a
// caller that was slow to read does not split events.
func (f *Framer) Next(now time.Time) (ev Event, ok bool) {
	if ev, ok := f.lines(now); ok {
		return ev, true
	}
	if f.ml != nil {
		return f.ml.expire(now)
	}
	return Event{}, false
}

// NextLine is Next without multiline timeouts: for a caller that has more
// of the file to write before a pending event may time out.
func (f *Framer) NextLine(now time.Time) (ev Event, ok bool) { return f.lines(now) }

// lines frames the complete lines in buf until one yields an event.
func (f *Framer) lines(now time.Time) (Event, bool) {
	for f.r < f.tail {
		lf := f.r + bytes.IndexByte(f.buf[f.r:f.tail], '\n')
		raw, end, cut := f.buf[f.r:lf], f.off+int64(lf-f.r)+1, false
		if len(f.skips) > 0 && f.skips[0].lf == lf {
			// The kept bytes end mid-line, so a CR there is data, not
			// part of a line ending.
			end += f.skips[0].n
			cut = true
			f.skips = f.skips[:copy(f.skips, f.skips[1:])]
		} else if n := len(raw); n > 0 && raw[n-1] == '\r' {
			raw = raw[:n-1]
		}
		start, at := f.off, now
		if end <= f.replayEnd {
			at = f.replayAt // read before a Spill: its time then
		}
		f.r, f.off = lf+1, end
		if ev, ok := f.line(raw, cut, start, end, at); ok {
			return ev, true
		}
	}
	return Event{}, false
}

// line turns one raw line spanning [start, end) into an event, or hands it to
// the multiline joiner.
func (f *Framer) line(raw []byte, cut bool, start, end int64, now time.Time) (Event, bool) {
	if len(raw) > f.limit {
		raw, cut = raw[:f.limit], true
	}
	data, cut := f.text.decode(raw, cut, f.limit)
	if f.ml == nil {
		return Event{Data: data, Offset: start, End: end, Truncated: cut}, true
	}
	return f.ml.add(data, cut, start, end, now)
}

// Flush returns what is pending once the file can never grow (it was removed
// or rotated away): complete lines not yet returned, a last line without LF,
// and a buffered multiline event, one event per call. Call it until ok is
// false; afterwards Pending reports zero bytes.
func (f *Framer) Flush() (ev Event, ok bool) {
	if ev, ok := f.lines(time.Time{}); ok {
		return ev, true
	}
	if f.r < len(f.buf) || f.skipping {
		raw, start := f.buf[f.r:], f.off
		end := f.off + int64(len(raw)) + f.skipN
		cut := f.skipping
		f.buf, f.r, f.tail, f.off = f.buf[:0], 0, 0, end
		f.skipping, f.skipN = false, 0
		if ev, ok := f.line(raw, cut, start, end, time.Time{}); ok {
			return ev, true
		}
	}
	if f.ml != nil {
		return f.ml.take()
	}
	return Event{}, false
}

// Pending reports how many written bytes no returned event covers yet
// (including skipped bytes of an over-long line, which are not held in
// memory), and next, the offset where the next event will start: the
// position a restart must resume from. next+bytes is always the offset just
// past the last byte written.
func (f *Framer) Pending() (bytes int, next int64) {
	next = f.off
	if f.ml != nil && f.ml.open {
		next = f.ml.start
	}
	return int(f.written - next), next
}

// Deadline returns when a pending multiline event will time out, or the zero
// time if none is pending, so the caller can call Next then.
func (f *Framer) Deadline() time.Time {
	switch {
	case f.ml == nil:
		return time.Time{}
	case f.ml.open:
		return f.ml.deadline()
	case f.off < f.replayEnd: // a pending event was spilled
		return f.replayAt.Add(f.ml.timeout)
	}
	return time.Time{}
}
