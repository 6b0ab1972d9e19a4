package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
)

// figure is one measured number and the target it is held to.
type figure struct {
	name   string
	value  float64
	target target
	err    error // the scenario failed before measuring it
}

// target is a bound a figure must meet; op "" means none (informative).
type target struct {
	op    string // ">=", "<=" or "=="
	bound float64
}

var none = target{}

func atLeast(v float64) target { return target{">=", v} }
func atMost(v float64) target  { return target{"<=", v} }
func exactly(v float64) target { return target{"==", v} }

func (t target) String() string {
	if t.op == "" {
		return "-"
	}
	return t.op + " " + format(t.bound)
}

func (t target) met(v float64) bool {
	switch t.op {
	case ">=":
		return v >= t.bound
	case "<=":
		return v <= t.bound
	case "==":
		return v == t.bound
	}
	return true
}

// report collects the figures of a run in the order they are declared.
type report struct {
	mu      sync.Mutex
	figures []figure
	notes   []string
}

func (r *report) add(name string, v float64, t target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.figures = append(r.figures, figure{name: name, value: v, target: t})
}

// fail records that the named figures could not be measured.
func (r *report) fail(err error, names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		r.figures = append(r.figures, figure{name: n, value: math.NaN(), err: err})
	}
}

// missing returns those of names no figure was recorded for yet.
func (r *report) missing(names []string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range names {
		if !slices.ContainsFunc(r.figures, func(f figure) bool { return f.name == n }) {
			out = append(out, n)
		}
	}
	return out
}

// note adds a line printed under the table: how a figure was obtained.
func (r *report) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// print writes the table, the notes, and one "bench: NAME=VALUE" line per
// measured figure for scripts. It reports whether a figure missed its
// target and whether one could not be measured.
func (r *report) print(w io.Writer) (missed, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "\n%-28s %12s  %-12s %s\n", "figure", "value", "target", "result")
	for _, f := range r.figures {
		val, res := format(f.value), "PASS"
		switch {
		case f.err != nil:
			val, res, failed = "-", "ERROR", true
		case f.target.op == "":
			res = "info"
		case !f.target.met(f.value):
			res, missed = "MISS", true
		}
		fmt.Fprintf(w, "%-28s %12s  %-12s %s\n", f.name, val, f.target, res)
	}
	fmt.Fprintln(w)
	for _, n := range r.notes {
		fmt.Fprintln(w, "note:", n)
	}
	shown := map[error]bool{}
	for _, f := range r.figures {
		if f.err != nil && !shown[f.err] {
			shown[f.err] = true
			fmt.Fprintf(w, "error: %s: %v\n", f.name, f.err)
		}
	}
	for _, f := range r.figures {
		if f.err == nil {
			fmt.Fprintf(w, "bench: %s=%s\n", f.name, format(f.value))
		}
	}
	return missed, failed
}

// format prints large numbers whole and small ones with two decimals.
func format(v float64) string {
	if math.Abs(v) >= 1000 || v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
