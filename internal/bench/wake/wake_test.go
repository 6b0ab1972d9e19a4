package wake

import (
	"math"
	"testing"
	"time"
)

// TestMeasureReportsEachCase checks the shape of a (short) measurement:
// four positive per-unit costs and wake-up costs that are their
// differences times the burst. What the figures are on a machine is make
// bench's to show.
func TestMeasureReportsEachCase(t *testing.T) {
	r := Measure(5*time.Millisecond, 20, 60*time.Millisecond)
	for name, v := range map[string]float64{"continuous": r.ContinuousUS, "burst": r.BurstUS,
		"small continuous": r.SmallContUS, "small burst": r.SmallBurstUS} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s: %v µs per unit, want a positive cost", name, v)
		}
	}
	if want := (r.BurstUS - r.ContinuousUS) * 20 / 1e3; math.Abs(r.WakeCostMS-want) > 1e-9 {
		t.Errorf("wake cost %v ms, want %v", r.WakeCostMS, want)
	}
	if want := (r.SmallBurstUS - r.SmallContUS) * 20 / 1e3; math.Abs(r.SmallWakeCostMS-want) > 1e-9 {
		t.Errorf("small wake cost %v ms, want %v", r.SmallWakeCostMS, want)
	}
	if r.GapMS != 5 || r.UnitsPerWake != 20 || r.LargeSetKiB != 4096 || r.SmallSetKiB != 256 {
		t.Errorf("parameters %+v", r)
	}
}
