package logagent

import (
	"cmp"
	"slices"
	"time"
)

// reshipStamp gives a re-sent line its lp.ts, best source first:
//
//  1. its time anchor's when one of the generation's kept anchors covers it
//     (the rule of anchors.go): the very time it was first sent with;
//  2. else, when the audit ledger (linecount.go) counted every line of the
//     generation from offset 0 up to its saved position (the counts add up
//     to the lines framed there), the start of the UTC hour the line was
//     counted in: the k-th line's hour follows from the hours' running sums
//     (lines are sent, and counted, in offset order). Not the original
//     millisecond, but its hour, hence its daily index;
//  3. else the reship's start.
//
// NOTE: anchors are pruned once the saved position passes them, and the
// ledger keeps lineHours hours: an old range gets (3). For routes that take
// the time from the line (a time field) the index does not depend on lp.ts;
// for raw routes, whose daily index comes from lp.ts, a line first indexed
// on another day then lands in the reship day's index as a second
// document. Multiline events once cut by their timeout frame differently
// on a re-read: the counts do not add up and (2) is not used.
type reshipStamp struct {
	anchors  []anchor
	hours    []hourCount // used only when byHour
	byHour   bool
	fallback int64
	// anchored, hourly and estimated count the lines stamped each way.
	anchored, hourly, estimated int64
}

// covered reports whether anchors (sorted by Off) stamp every line starting
// in [from, to): the one at or before from, and each next one up to to,
// reach the next without a hole.
func covered(anchors []anchor, from, to int64) bool {
	at := from // the first offset not yet known to be covered
	for i, a := range anchors {
		if a.Off > at {
			return false
		}
		if i+1 < len(anchors) && anchors[i+1].Off <= at {
			continue // a later anchor rules at
		}
		at = max(at, a.End)
		if i+1 < len(anchors) {
			at = min(at, anchors[i+1].Off)
		}
		if at >= to {
			return true
		}
	}
	return false
}

// hourCount is one hour of a generation's audit ledger.
type hourCount struct {
	hour  int64 // Unix seconds of the hour's start
	lines int64
}

// hoursLocked is fileID's ledger, by hour (under p.mu).
func (p *positions) hoursLocked(fileID string) []hourCount {
	sum := map[int64]int64{}
	for _, f := range p.lines.Files {
		if f.FileID == fileID {
			for h, n := range f.Hours {
				sum[h] += n
			}
		}
	}
	out := make([]hourCount, 0, len(sum))
	for h, n := range sum {
		out = append(out, hourCount{h, n})
	}
	slices.SortFunc(out, func(x, y hourCount) int { return cmp.Compare(x.hour, y.hour) })
	return out
}

func newReshipStamp(anchors []anchor, hours []hourCount, start time.Time) *reshipStamp {
	return &reshipStamp{anchors: anchors, hours: hours, fallback: start.UnixMilli()}
}

// useHours enables (2) when the ledger holds exactly lines lines.
func (s *reshipStamp) useHours(lines int64) { s.byHour = s.ledgerLines() == lines && lines > 0 }

// stampSource is where a line's lp.ts came from.
type stampSource int

const (
	stampAnchor stampSource = iota
	stampHour
	stampEstimate
)

// stamp returns the lp.ts of line number k (from offset 0) starting at off,
// and its source. Calls come in offset order; the same line may be stamped
// again after a wait (it was not sent), so the caller counts the source
// (sent) only once the line is handed over.
func (s *reshipStamp) stamp(off, k int64) (int64, stampSource) {
	for len(s.anchors) > 1 && s.anchors[1].Off <= off {
		s.anchors = s.anchors[1:]
	}
	if len(s.anchors) > 0 && s.anchors[0].Off <= off && off < s.anchors[0].End {
		return s.anchors[0].TS, stampAnchor
	}
	if h, ok := s.hourAt(k); ok && s.byHour {
		return h * 1000, stampHour
	}
	return s.fallback, stampEstimate
}

// sent counts a line handed over with an lp.ts from src.
func (s *reshipStamp) sent(src stampSource) {
	switch src {
	case stampAnchor:
		s.anchored++
	case stampHour:
		s.hourly++
	default:
		s.estimated++
	}
}

// hourAt is the hour (Unix seconds) the ledger counted line k in, if it
// counted that many lines; meaningful only when the counts add up.
func (s *reshipStamp) hourAt(k int64) (int64, bool) {
	var before int64
	for _, h := range s.hours {
		if k < before+h.lines {
			return h.hour, true
		}
		before += h.lines
	}
	return 0, false
}

// ledgerLines is how many lines the ledger holds for the generation.
func (s *reshipStamp) ledgerLines() int64 {
	var n int64
	for _, h := range s.hours {
		n += h.lines
	}
	return n
}
