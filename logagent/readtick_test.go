package logagent

import (
	"testing"
	"time"
)

// TestReadDelayAlignsHarvesters checks that harvesters whose read cycles
// began at different moments of an interval wake on the same wall-clock
// tick, never later than the interval's remainder since their start.
func TestReadDelayAlignsHarvesters(t *testing.T) {
	const iv = 200 * time.Millisecond
	base := time.Now().Truncate(iv).Add(iv) // a tick, monotonic reading stripped
	for _, into := range []time.Duration{0, time.Millisecond, 37 * time.Millisecond, 150 * time.Millisecond, iv - time.Nanosecond} {
		start := base.Add(into)
		for _, took := range []time.Duration{0, 5 * time.Millisecond, iv - into - time.Nanosecond} {
			if into+took >= iv {
				continue // past the tick: below
			}
			now := start.Add(took)
			d := readDelay(start, now, took, iv)
			if wake := now.Add(d); !wake.Equal(base.Add(iv)) {
				t.Errorf("cycle %v into the interval, %v long: wakes %v after the tick, want the next tick (%v)",
					into, took, wake.Sub(base), iv)
			}
			if d > iv-took {
				t.Errorf("cycle %v into the interval, %v long: sleeps %v, more than the interval's remainder %v", into, took, d, iv-took)
			}
		}
	}
	if d := readDelay(base, base.Add(iv+time.Millisecond), iv+time.Millisecond, iv); d != 0 {
		t.Errorf("a cycle longer than the interval sleeps %v, want 0", d)
	}
	if d := readDelay(base.Add(iv-time.Millisecond), base.Add(iv+time.Millisecond), 2*time.Millisecond, iv); d != 0 {
		t.Errorf("a cycle that ran past the next tick sleeps %v, want 0", d)
	}
	if d := readDelay(base, base.Add(time.Millisecond), time.Millisecond, 0); d != 0 {
		t.Errorf("read_interval 0 sleeps %v, want 0", d)
	}
}

// TestReadDelayIgnoresWallClockJumps checks the latency bound when the
// wall clock is set back or forward during a cycle: the remainder is
// counted on the monotonic clock.
func TestReadDelayIgnoresWallClockJumps(t *testing.T) {
	const iv = 200 * time.Millisecond
	start := time.Date(2026, 12, 7, 12, 0, 0, 150e6, time.UTC)
	back := start.Add(-time.Hour + 10*time.Millisecond) // set back an hour, 10 ms into the cycle
	if d := readDelay(start, back, 10*time.Millisecond, iv); d > 190*time.Millisecond {
		t.Errorf("wall clock set back: sleeps %v, want at most 190 ms", d)
	}
	fwd := start.Add(time.Hour + 10*time.Millisecond)
	if d := readDelay(start, fwd, 10*time.Millisecond, iv); d != 0 {
		t.Errorf("wall clock set forward past the tick: sleeps %v, want 0 (read now, then realign)", d)
	}
}

// TestUntilTickLandsOnTheGrid checks that periodic work wakes on the
// wall-clock multiples of its interval, the grid the reads share.
func TestUntilTickLandsOnTheGrid(t *testing.T) {
	base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, iv := range []time.Duration{200 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		for _, into := range []time.Duration{0, time.Nanosecond, 137 * time.Millisecond, iv - time.Nanosecond} {
			now := base.Add(into)
			d := untilTick(now, iv)
			if d <= 0 || d > iv {
				t.Errorf("interval %v, %v past a tick: waits %v, want (0, %v]", iv, into, d, iv)
			}
			if at := now.Add(d); at.Sub(base)%iv != 0 {
				t.Errorf("interval %v, %v past a tick: wakes %v past the minute, not on a multiple of the interval", iv, into, at.Sub(base))
			}
		}
	}
}
