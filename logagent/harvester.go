package logagent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/flow"
)

// maxConcurrentReads bounds how many harvesters read at once. A reading
// harvester holds a read buffer and a framer grown to a chunk, ~300 KiB in
// all, more for a long line; 2,000 files written at once must not hold that
// each (the bad-input suite measured ~280 MB before the bound). Waiters
// queue in order. 16, not 32: make bench's 500 files stopped mid-way
// through a 256 KiB line peaked at 73-78 MB with 32 and 61-62 MB with 16
// (issue 12's bound is 64); two cores do not read 16 files any slower.
const maxConcurrentReads = 16

// readBurst is how many full reads a harvester makes before it lets a
// waiting one have its slot: a file with a large backlog cannot starve the
// others.
const readBurst = 64

// pollBackoff is the safety-net poll interval after idle end-of-file waits
// without growth: it doubles from base up to limit, so an idle file costs
// almost nothing (inotify still wakes a harvester at once when it grows).
func pollBackoff(base, limit time.Duration, idle int) time.Duration {
	return min(base<<min(idle, 16), max(limit, base))
}

// readBufSize is how much one read takes from a file. Large reads amortise
// syscalls; the framer cuts lines out of the buffer without copying.
const readBufSize = 128 << 10

// removedGrace is how long a file that was deleted or renamed out of the glob
// is kept open after its last growth: the writer may still hold it and add a
// last line before it reopens its log.
const removedGrace = 2 * time.Second

// harvester reads one file generation from its saved position and sends every
// event to Kafka, in order.
//
// Contract: run returns when the file is done (closed for inactivity, gone,
// truncated — reason in the result), when stop is called (it stops reading at
// once) or when drain is called (it reads what the file holds now, then
// stops). In every case it returns only after every event it sent was acked
// or ctx ended; the position it reports is then final.
type harvester struct {
	task    *taskRunner
	f       *os.File
	id      fileIdentity
	gen     int
	fileID  string
	tracker *flow.Tracker
	rb      *recordBuilder
	stamp   *stamper    // lp.ts by time anchor (anchors.go)
	counts  *lineCounts // audit: lines per hour (linecount.go)
	log     *slog.Logger

	path     atomic.Pointer[string]
	lastSeen atomic.Int64 // unix nanos of the last scan that found it by glob
	size     atomic.Int64
	readOff  int64 // the file offset the next read starts at
	// seen is the furthest offset read: past readOff after the framer
	// spilled an incomplete long line or a pending multiline event
	// (spilled), to re-read once the file grows past seen or the event's
	// timeout comes.
	seen    int64
	spilled bool
	// unflushed: records were sent since the last end of file (flush).
	unflushed bool
	// blocked is what to wait for after a send found no room downstream
	// (errMustWait, harvestwait.go); a value, not a pointer: at full speed
	// the harvester waits at every full partition queue.
	blocked blocked
	// topicReady is closed once the task's topic can take records; nil
	// until the harvester first waited for it.
	topicReady chan struct{}

	stopOnce sync.Once
	stopCh   chan struct{} // closed: stop reading now
	drainCh  chan struct{} // closed: read to current end, then stop
	drainOne sync.Once
	done     chan struct{}
	result   harvestResult
}

// harvestResult says why a harvester ended.
type harvestResult int

const (
	resultStopped   harvestResult = iota // told to stop or drain
	resultInactive                       // no growth for close_inactive
	resultGone                           // deleted or renamed out of the glob, read to its end
	resultTruncated                      // truncated or rewritten: a new generation starts
	resultError
)

func (h *harvester) getPath() string { return *h.path.Load() }

func (h *harvester) stop()  { h.stopOnce.Do(func() { close(h.stopCh) }) }
func (h *harvester) drain() { h.drainOne.Do(func() { close(h.drainCh) }) }

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// run is the harvester's loop; see the type's contract.
func (h *harvester) run(ctx context.Context) {
	defer close(h.done)
	defer h.f.Close()
	stop, published := make(chan struct{}), make(chan struct{})
	go func() { defer close(published); h.publishLoop(stop) }()
	h.result = h.read(ctx)
	h.waitAcks(ctx)
	close(stop)
	<-published
	h.stamp.done()
	h.publish(true)        // progress.go: the harvester is its position's one writer
	h.task.harvestEnded(h) // lost.go: what the file lost, while it is still open
}

func (h *harvester) read(ctx context.Context) harvestResult {
	t := h.task
	fr, err := NewFramer(t.framerConfig(), h.readOff)
	if err != nil {
		h.log.Error("bad framer config", "err", err)
		return resultError
	}
	if _, err := h.f.Seek(h.readOff, io.SeekStart); err != nil {
		h.log.Error("seeking to position", "offset", h.readOff, "err", err)
		return resultError
	}
	// sendCtx ends when the harvester must stop sending at once.
	sendCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.stopCh:
			cancel()
		case <-sendCtx.Done():
		}
	}()
	// buf comes from readBufs while the file is read and goes back at every
	// end-of-file wait: a thousand idle files hold no read buffers.
	var buf []byte
	defer func() { h.putReadBuf(buf) }()
	idle := 0  // end-of-file waits since the file last grew
	burst := 0 // full reads since the slot was taken
	lastGrowth := time.Now()
	var goneSince time.Time
	drainTo := int64(-1) // once draining: the size when the drain began
	h.seen = h.readOff
	for {
		if sendCtx.Err() != nil {
			return resultStopped
		}
		if drainTo < 0 && closed(h.drainCh) {
			drainTo = h.seen
			if fi, err := h.f.Stat(); err == nil {
				drainTo = fi.Size()
			}
		}
		if drainTo >= 0 && h.readOff >= drainTo {
			if err := h.emit(sendCtx, fr, time.Now()); err != nil {
				if res, stop := h.sendFailed(sendCtx, fr, &buf, err); stop {
					return res
				}
				continue
			}
			return resultStopped
		}
		var n int
		if h.spilled && drainTo < 0 && !h.grew() && !due(fr.Deadline()) {
			err = io.EOF // nothing new: what was spilled stays on disk
		} else {
			h.spilled = false
			if buf == nil {
				if buf, err = h.getReadBuf(sendCtx); err != nil {
					return resultStopped
				}
			}
			n, err = h.f.Read(buf)
		}
		if n > 0 {
			h.readOff += int64(n)
			now := time.Now()
			if h.readOff > h.seen { // not only a spilled line read again
				h.seen, idle, lastGrowth, goneSince = h.readOff, 0, now, time.Time{}
			}
			t.tm.bytesRead.Add(float64(n))
			fr.Write(buf[:n])
			// After a full read more of the file is likely written: a
			// pending multiline event must not time out before it is read.
			if err := h.emitExpiring(sendCtx, fr, now, n < len(buf)); err != nil {
				if res, stop := h.sendFailed(sendCtx, fr, &buf, err); stop {
					return res
				}
				burst = 0
				continue
			}
			if n == len(buf) {
				if burst++; burst%readBurst == 0 {
					h.putReadBuf(buf)
					buf = nil
					fr.Shrink()
				} else {
					buf = readMore(buf)
				}
				continue
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			h.log.Error("reading file", "err", err)
			return resultError
		}
		// At the end of what the file holds now.
		now := time.Now()
		if err := h.emit(sendCtx, fr, now); err != nil { // multiline timeouts
			if res, stop := h.sendFailed(sendCtx, fr, &buf, err); stop {
				return res
			}
			burst = 0
			continue
		}
		h.flushQueued()
		if drainTo >= 0 {
			return resultStopped // the file shrank below the drain target
		}
		fi, err := h.f.Stat()
		if err != nil {
			h.log.Error("stat of open file", "err", err)
			return resultError
		}
		h.size.Store(fi.Size())
		if fi.Size() < h.seen {
			h.log.Info("file truncated, starting a new generation", "size", fi.Size(), "offset", h.seen)
			return resultTruncated
		}
		if fi.Size() > h.seen {
			continue // grew between read and stat
		}
		if same, err := h.id.sameContent(h.f); err == nil && !same {
			h.log.Info("file rewritten from the start, starting a new generation")
			return resultTruncated
		}
		if h.gone(fi) {
			if goneSince.IsZero() {
				goneSince = now
			}
			if now.Sub(lastGrowth) >= removedGrace && now.Sub(goneSince) >= removedGrace {
				if h.spilled {
					h.spilled = false
					continue // read the spilled last line again, to flush it
				}
				// It can no longer grow: a last line without LF is final.
				err := h.flushFinal(sendCtx, fr, now)
				if err == nil {
					return resultGone
				}
				if res, stop := h.sendFailed(sendCtx, fr, &buf, err); stop {
					return res
				}
				burst = 0
				continue
			}
		} else if now.Sub(lastGrowth) >= t.cfg.CloseInactive || (idle > 0 && t.waiting.Load() > 0) {
			// Idle long enough, or other files wait for a harvester: the
			// position is saved and a scan reopens the file when it grows.
			return resultInactive
		}
		h.putReadBuf(buf)
		buf, burst = nil, 0
		fr.Shrink() // the buffers are held only while reading
		if off, ok := fr.Spill(); ok {
			if _, err := h.f.Seek(off, io.SeekStart); err != nil {
				h.log.Error("seeking back to a spilled line", "offset", off, "err", err)
				return resultError
			}
			h.readOff, h.spilled = off, true
		}
		wait := pollBackoff(t.cfg.PollInterval, t.cfg.MaxPollInterval, idle)
		if d := fr.Deadline(); !d.IsZero() {
			wait = min(wait, max(time.Until(d), time.Millisecond))
		}
		// NOTE: a file that grew in this cycle is being written: the
		// read_interval sleep below is its wait. An inotify watch per cycle
		// (add, one event, remove, and the goroutines around them) cost more
		// than the read it would save; the watch is for files that stopped.
		if idle > 0 || t.cfg.ReadInterval <= 0 || !fr.Deadline().IsZero() {
			wctx, cancelWait := h.waitCtx(sendCtx)
			t.waiter(wctx, h.getPath(), h.seen, wait)
			cancelWait()
		}
		idle++
		// Read a growing file at most every read_interval, on the ticks
		// every harvester shares (readtick.go): a writer's many small
		// writes are then shipped as bursts of lines, which costs the agent
		// far less per line than waking for each write.
		end := time.Now()
		if d := readDelay(now, end, end.Sub(now), t.cfg.ReadInterval); d > 0 {
			if err := conf.Sleep(sendCtx, d); err != nil {
				return resultStopped
			}
		}
	}
}

// flushFinal sends what the framer holds once the file can no longer grow.
func (h *harvester) flushFinal(ctx context.Context, fr *Framer, now time.Time) error {
	for ev, ok := fr.Flush(); ok; ev, ok = fr.Flush() {
		if err := h.sendHolding(ctx, ev, now); err != nil {
			return err
		}
	}
	return nil
}

// sendFailed handles an error of emit or send: after errMustWait it yields
// (the loop goes on from the line that was not sent), otherwise the
// harvester stops.
func (h *harvester) sendFailed(ctx context.Context, fr *Framer, buf *[]byte, err error) (res harvestResult, stop bool) {
	if !errors.Is(err, errMustWait) {
		return resultStopped, true
	}
	if err := h.yield(ctx, fr, buf); err != nil {
		if ctx.Err() != nil || errors.Is(err, errProducerClosed) {
			return resultStopped, true
		}
		h.log.Error("yielding the read slot", "err", err)
		return resultError, true
	}
	return 0, false
}

// waitCtx ends the end-of-file wait early when a drain is requested. The
// caller must call the returned cancel when the wait is over.
func (h *harvester) waitCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-h.drainCh:
			cancel()
		case <-wctx.Done():
		}
	}()
	return wctx, cancel
}

// gone reports whether the open file is no longer reachable through the
// task's glob: deleted, or renamed to a name the glob does not match.
func (h *harvester) gone(fi os.FileInfo) bool {
	if st := statDevIno(fi); st != h.id.devIno {
		return true
	}
	if fi.Sys() != nil {
		if nl := nlink(fi); nl == 0 {
			return true
		}
	}
	seen := time.Unix(0, h.lastSeen.Load())
	if time.Since(seen) < 2*h.task.cfg.ScanFrequency+h.task.cfg.PollInterval {
		return false
	}
	pfi, err := os.Stat(h.getPath())
	return err != nil || !os.SameFile(fi, pfi)
}

// emit sends every complete event the framer holds, and a pending
// multiline event whose timeout passed.
func (h *harvester) emit(ctx context.Context, fr *Framer, now time.Time) error {
	return h.emitExpiring(ctx, fr, now, true)
}

// emitExpiring is emit; without expire a pending multiline event waits for
// the next read, whatever its timeout.
func (h *harvester) emitExpiring(ctx context.Context, fr *Framer, now time.Time, expire bool) error {
	next := fr.Next
	if !expire {
		next = fr.NextLine
	}
	for {
		ev, ok := next(now)
		if !ok {
			return nil
		}
		if err := h.sendHolding(ctx, ev, now); err != nil {
			return err
		}
	}
}

// send hands the event's record to the producer (handover.go). The framer's
// buffer is reused by the next call, which is why the record builder copies
// the line.
//
// It never waits for room downstream: when the task's bytes, the agent's
// budget or the partition's queue are full it takes nothing, notes what to
// wait for in h.blocked and returns errMustWait; sendHolding and the read
// loop decide how to wait (harvestwait.go).
func (h *harvester) send(ctx context.Context, ev Event, now time.Time) error {
	t := h.task
	ho := handOver{prod: t.producer, budget: t.budget, link: t.link, tm: t.tm, tr: h.tracker, rb: h.rb}
	b, err := ho.offer(ctx, ev, now, func() (int64, error) {
		// now is the time the chunk holding the line was read: one clock
		// read per chunk, not per line. ts is the line's lp.ts, fixed on
		// disk before the line is first sent (anchors.go); a line sent
		// again after a wait gets a new anchor at its offset, which
		// replaces this one (anchorStore.add).
		ts, err := h.stamp.stamp(ctx, ev.Offset, now, h.readOff)
		if err == nil {
			h.counts.line(time.UnixMilli(ts)) // audit hook: the line's hour, before the tracker numbers it (linecount.go)
		}
		return ts, err
	})
	if err != nil {
		if errors.Is(err, errMustWait) {
			h.blocked = b
		}
		return err
	}
	h.stamp.sent(ev.End)
	h.unflushed = true
	t.tm.read.Inc() // counted once handed over: a line sent again after a yield is read once
	return nil
}

// recordSizeOverhead is what a record costs in memory beyond its value: our
// pooled record (Kafka record, headers, ack metadata, id bytes) and the
// batch's encoded and compressed copies. Measured at 700-900 B per record
// with sarama's AsyncProducer (heap and RSS against logagent_inflight_bytes
// during a broker outage, make bench); counting less made the budget bound
// only about half of the memory.
const recordSizeOverhead = 800

// waitAcks blocks until every sent event is acked or ctx ends.
func (h *harvester) waitAcks(ctx context.Context) { waitTracker(ctx, h.tracker) }

func (h *harvester) String() string { return fmt.Sprintf("%s@%d", h.getPath(), h.readOff) }
