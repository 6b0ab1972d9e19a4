package conf

import (
	"log/slog"
	"sync"
	"time"
)

// State is a supervised unit's condition (a logagent task, a logtransfer
// route). Both daemons report it in their status key, /readyz and metrics.
type State string

const (
	// StateRunning: the unit does its work.
	StateRunning State = "running"
	// StateWaiting: the unit waits on something expected to come back by
	// itself (a broker restarting, a 429, a leader election). It retries
	// with backoff and keeps its positions.
	StateWaiting State = "waiting"
	// StateFailing: the unit waits on something only an operator can fix (a
	// missing topic with auto-creation off, a missing ACL, an index that
	// refuses writes). It retries slowly and keeps its positions, so it
	// resumes by itself once the cause is fixed; nothing is skipped.
	StateFailing State = "failing"
)

// States lists every State, for metrics that export one series per state.
var States = []State{StateRunning, StateWaiting, StateFailing}

// Health is what a unit reports about itself: its state, why, since when, and
// how often the reason recurred since then.
type Health struct {
	State  State     `json:"state"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
	Count  int64     `json:"count,omitempty"`
}

// Degraded reports whether the unit is not running normally.
func (h Health) Degraded() bool { return h.State != StateRunning }

// DefaultReportEvery is how often a recurring reason is logged again, with
// how many times it recurred in between.
const DefaultReportEvery = time.Minute

// maxReasons bounds the reasons a Condition remembers when each was last
// logged: a unit whose reason alternates still logs each at most once per
// interval, and a unit with ever-new reasons cannot grow the map.
const maxReasons = 8

// Condition is one unit's Health, owned by that unit. The unit calls Trouble
// for every failed attempt and OK when work succeeds again; Condition turns
// that stream into a state with its reason and since, and into log lines: a
// new state or reason is logged at once, the same reason again at most once
// per interval with the count of occurrences in between, and a recovery once.
// So a unit that fails per record still logs a bounded number of lines.
//
// Safe for concurrent use; it never blocks on I/O besides the logger.
type Condition struct {
	log      *slog.Logger
	every    time.Duration
	now      func() time.Time
	onChange func(old, cur State)

	mu      sync.Mutex
	h       Health
	reasons map[string]*reasonLog
	// recovered is when a recovery was last logged, and recoveries how
	// many were not logged since: a unit flapping between running and
	// waiting (an occasional 429) logs about once per interval.
	recovered  time.Time
	recoveries int64
}

// reasonLog is when a reason was last logged and how often it occurred since.
type reasonLog struct {
	at       time.Time
	repeated int64
}

// ConditionOption configures a Condition.
type ConditionOption func(*Condition)

// WithReportEvery sets how often a recurring reason is logged again.
func WithReportEvery(d time.Duration) ConditionOption {
	return func(c *Condition) {
		if d > 0 {
			c.every = d
		}
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) ConditionOption { return func(c *Condition) { c.now = now } }

// WithStateHook calls f on every state change (outside the lock), e.g. to
// move a per-state gauge.
func WithStateHook(f func(old, cur State)) ConditionOption {
	return func(c *Condition) { c.onChange = f }
}

// NewCondition returns a Condition in StateRunning that logs to log (which
// should already carry the unit's name).
func NewCondition(log *slog.Logger, opts ...ConditionOption) *Condition {
	c := &Condition{log: log, every: DefaultReportEvery, now: time.Now, reasons: map[string]*reasonLog{}}
	for _, o := range opts {
		o(c)
	}
	c.h = Health{State: StateRunning, Since: c.now()}
	return c
}

// Trouble records one occurrence of reason, putting the unit in state
// (StateWaiting or StateFailing). reason must be stable across occurrences
// of the same cause (no offsets or counters in it): it is the key of the
// log rate limit.
func (c *Condition) Trouble(state State, reason string) {
	c.mu.Lock()
	now := c.now()
	old := c.h.State
	if old != state || c.h.Reason != reason {
		c.h = Health{State: state, Reason: reason, Since: now}
	}
	c.h.Count++
	rl := c.reasons[reason]
	if rl == nil {
		if len(c.reasons) >= maxReasons {
			c.evictOldestLocked()
		}
		rl = &reasonLog{}
		c.reasons[reason] = rl
	}
	var logNow bool
	var repeated int64
	if rl.at.IsZero() || now.Sub(rl.at) >= c.every {
		logNow, repeated = true, rl.repeated
		rl.at, rl.repeated = now, 0
	} else {
		rl.repeated++
	}
	c.mu.Unlock()
	if logNow {
		c.log.Warn("unit in trouble", "state", string(state), "reason", reason, "repeated", repeated)
	}
	if old != state && c.onChange != nil {
		c.onChange(old, state)
	}
}

// OK records that the unit works again. A recovery is logged at most once
// per interval (with how many recoveries were not), and the reasons keep
// their last-logged times, so a flapping unit does not log per episode.
func (c *Condition) OK() {
	c.mu.Lock()
	if c.h.State == StateRunning {
		c.mu.Unlock()
		return
	}
	old := c.h
	c.h = Health{State: StateRunning, Since: c.now()}
	logNow, skipped := c.recovered.IsZero() || c.h.Since.Sub(c.recovered) >= c.every, c.recoveries
	if logNow {
		c.recovered, c.recoveries = c.h.Since, 0
	} else {
		c.recoveries++
	}
	c.mu.Unlock()
	if logNow {
		c.log.Info("unit recovered", "was", string(old.State), "reason", old.Reason, "occurrences", old.Count,
			"for", c.h.Since.Sub(old.Since).Round(time.Millisecond).String(), "recoveries_not_logged", skipped)
	}
	if c.onChange != nil {
		c.onChange(old.State, StateRunning)
	}
}

// Health returns the unit's current Health.
func (c *Condition) Health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

func (c *Condition) evictOldestLocked() {
	var oldest string
	var at time.Time
	for r, rl := range c.reasons {
		if oldest == "" || rl.at.Before(at) {
			oldest, at = r, rl.at
		}
	}
	delete(c.reasons, oldest)
}
