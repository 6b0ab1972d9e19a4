// Package wake measures what a machine charges a process for waking up:
// the yardstick `make bench` prints beside its paced figures. A shipper
// following a file wakes once per read_interval (200 ms) to do a few
// milliseconds of memory-bound work: read, frame, build, encode. On a
// shared cloud host that work can cost far more CPU than the same work done
// back to back, because what the process touched before its sleep has left
// the caches meanwhile (and the core may have slowed down), and no change to
// the shipper removes that part.
//
// Measure does one kind of work — copy a 16 KiB slice of a working set and
// CRC it — back to back, then in bursts of a fixed size after each idle
// gap, once with a working set beyond a core's L2 cache and once within it.
// internal/cmd/wakecost runs it in a process of its own, the way the
// shipper runs.
package wake

import (
	"hash/crc32"
	"syscall"
	"time"
)

// unit is one unit of work's bytes.
const unit = 16 << 10

// Working sets: one beyond a core's L2 (this project's machine has 1 MiB of
// L2 per core), one within it, the control for the cost of the wake-up
// itself.
const (
	largeSet = 4 << 20
	smallSet = 256 << 10
)

// Result is what Measure found. Times are CPU (utime+stime) of the
// process, sleeping included: a wake-up's cost is in them.
type Result struct {
	GapMS        float64 `json:"gap_ms"`
	UnitsPerWake int     `json:"units_per_wake"`
	LargeSetKiB  int     `json:"large_set_kib"`
	SmallSetKiB  int     `json:"small_set_kib"`
	ContinuousUS float64 `json:"continuous_us_per_unit"`
	BurstUS      float64 `json:"burst_us_per_unit"`
	SmallContUS  float64 `json:"small_continuous_us_per_unit"`
	SmallBurstUS float64 `json:"small_burst_us_per_unit"`
	// WakeCostMS is the extra CPU per wake-up: a burst's cost − the same
	// units back to back; SmallWakeCostMS the same within L2.
	WakeCostMS      float64 `json:"wake_cost_ms"`
	SmallWakeCostMS float64 `json:"small_wake_cost_ms"`
}

// Measure does bursts of units after each gap asleep, and the same work
// back to back, each for about each, with both working sets (four
// measurements in all). Run it with GOMAXPROCS=1 on the core to measure.
func Measure(gap time.Duration, units int, each time.Duration) Result {
	res := Result{GapMS: float64(gap) / 1e6, UnitsPerWake: units, LargeSetKiB: largeSet >> 10, SmallSetKiB: smallSet >> 10}
	large, small := newWork(largeSet), newWork(smallSet)
	res.ContinuousUS = large.measure(0, units, each)
	res.BurstUS = large.measure(gap, units, each)
	res.SmallContUS = small.measure(0, units, each)
	res.SmallBurstUS = small.measure(gap, units, each)
	res.WakeCostMS = (res.BurstUS - res.ContinuousUS) * float64(units) / 1e3
	res.SmallWakeCostMS = (res.SmallBurstUS - res.SmallContUS) * float64(units) / 1e3
	return res
}

// work walks a working set 16 KiB at a time. It allocates nothing once
// made, so the garbage collector takes no part in what is measured.
type work struct {
	set, dst []byte
	pos      int
	sum      uint32
}

func newWork(size int) *work {
	w := &work{set: make([]byte, size), dst: make([]byte, unit)}
	for i := range w.set {
		w.set[i] = byte(i)
	}
	return w
}

func (w *work) do(n int) {
	for range n {
		if w.pos+unit > len(w.set) {
			w.pos = 0
		}
		copy(w.dst, w.set[w.pos:w.pos+unit])
		w.sum += crc32.ChecksumIEEE(w.dst)
		w.pos += unit
	}
}

// measure does bursts of n units separated by gap (back to back when gap
// is 0) for about d and returns the CPU microseconds per unit, sleeping
// included: a wake-up's cost is in it.
func (w *work) measure(gap time.Duration, n int, d time.Duration) float64 {
	w.do(n) // warm up: the first touch of the set is not what is measured
	if gap > 0 {
		time.Sleep(gap)
	}
	done := 0
	c0, t0 := cpuTime(), time.Now()
	for time.Since(t0) < d {
		w.do(n)
		done += n
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return float64((cpuTime() - c0).Nanoseconds()) / 1e3 / float64(done)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
