package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// logctl top: the daemons' status keys, read every --interval and shown
// as one screen per agent task and file, and per transfer route and
// partition. Counters become rates between two versions of a status key
// (lines and bytes acked per file, offsets committed per partition), so
// a rate covers the daemon's status_interval, not logctl's refresh.

func runTop(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl top", "[--interval 1s] [--once]",
		"A live view of what every agent and transfer instance reports in its status key, redrawn\n"+
			"every --interval in a plain terminal (Ctrl-C quits): per agent, task and file the lines/s\n"+
			"and bytes/s acked by Kafka, the byte lag, state and last error; per transfer, route and\n"+
			"partition the documents/s committed, consumer lag, records in flight, state and last\n"+
			"error. Rates are over the daemons' status_interval; the first frames show '-' until a\n"+
			"daemon has published twice.")
	interval := fs.Duration("interval", time.Second, "refresh period")
	once := fs.Bool("once", false, "print one frame and exit (for scripts)")
	frames := fs.Int("frames", 0, "exit after this many frames; 0: only Ctrl-C stops")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *interval < 100*time.Millisecond {
		return usagef(fs, "--interval %s: want at least 100ms", *interval)
	}
	if *once {
		*frames = 1
	}
	cli, err := c.etcd()
	if err != nil {
		return err
	}
	defer cli.Close()
	v := newTopView()
	clear := isTerminal(c.stdout) && *frames != 1
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for n := 1; ; n++ {
		gctx, cancel := context.WithTimeout(ctx, c.g.timeout)
		snap, err := readTop(gctx, cli)
		cancel()
		if ctx.Err() != nil {
			return nil // Ctrl-C: a clean exit
		}
		if err != nil {
			return c.etcdErr(err)
		}
		v.update(snap)
		var frame strings.Builder
		if clear {
			frame.WriteString("\033[H\033[2J") // home, clear: plain VT100, fine over SSH
		} else if n > 1 {
			frame.WriteString("\n")
		}
		v.render(&frame, snap.at, c.conns.etcdAddr())
		if _, err := io.WriteString(c.stdout, frame.String()); err != nil {
			return err
		}
		if *frames > 0 && n >= *frames {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// isTerminal reports whether w is a character device (a terminal), where
// frames replace each other instead of scrolling.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// topSnapshot is every status key at one moment.
type topSnapshot struct {
	at        time.Time
	agents    []topAgent
	transfers []topTransfer
}

type topAgent struct {
	logagent.Status
	states []unitState // by index of Status.Tasks
	bad    string      // the value does not decode
}

type topTransfer struct {
	logtransfer.Status
	states []unitState // by index of Status.Routes
	bad    string
}

// unitState is a task's or route's state as the daemons are starting to
// publish it (state, reason, since, count), and the per-task summaries an
// agent may publish instead of every file (open_files, lag_bytes).
// Decoded apart from the daemons' types, tolerantly: any of these fields
// may be missing, and since may be RFC 3339 or Unix seconds.
type unitState struct {
	State     string          `json:"state"`
	Error     string          `json:"error"`
	LastError string          `json:"last_error"`
	Reason    string          `json:"reason"`
	Since     json.RawMessage `json:"since"`
	SinceUnix int64           `json:"since_unix"`
	Count     int64           `json:"count"`
	OpenFiles *int            `json:"open_files"`
	LagBytes  *int64          `json:"lag_bytes"`
}

// err is the unit's last error, whichever field carries it, with how
// often it recurred when the daemon counts.
func (u unitState) err() string {
	for _, s := range []string{u.Error, u.LastError, u.Reason} {
		if s != "" {
			if u.Count > 1 {
				s += fmt.Sprintf(" (×%d)", u.Count)
			}
			return s
		}
	}
	return ""
}

// since is when the unit entered its state; zero when not said.
func (u unitState) since() time.Time {
	if u.SinceUnix > 0 {
		return time.Unix(u.SinceUnix, 0)
	}
	var t time.Time
	if json.Unmarshal(u.Since, &t) == nil {
		return t
	}
	var unix int64
	if json.Unmarshal(u.Since, &unix) == nil && unix > 0 {
		return time.Unix(unix, 0)
	}
	return time.Time{}
}

// readTop reads every status key in one revision.
func readTop(ctx context.Context, cli *clientv3.Client) (topSnapshot, error) {
	snap := topSnapshot{at: time.Now()}
	rev, err := eachStatus(ctx, cli, logagent.KeyRoot, logagent.StatusKey, 0, func(agent string, value []byte, units unitStates) {
		a := topAgent{states: units.Tasks}
		if err := json.Unmarshal(value, &a.Status); err != nil {
			a.bad = err.Error()
		}
		a.Agent = agent
		snap.agents = append(snap.agents, a)
	})
	if err != nil {
		return snap, err
	}
	_, err = eachStatus(ctx, cli, logtransfer.KeyRoot, logtransfer.StatusKey, rev, func(instance string, value []byte, units unitStates) {
		tr := topTransfer{states: units.Routes}
		if err := json.Unmarshal(value, &tr.Status); err != nil {
			tr.bad = err.Error()
		}
		tr.Instance = instance
		snap.transfers = append(snap.transfers, tr)
	})
	return snap, err
}

// unitStates are the per-task and per-route states of a status value.
type unitStates struct {
	Tasks  []unitState `json:"tasks"`
	Routes []unitState `json:"routes"`
}

// eachStatus calls fn with every daemon's status value under root (at
// revision rev, 0 for the latest) and returns the revision read.
func eachStatus(ctx context.Context, cli *clientv3.Client, root string, statusKey func(string) string, rev int64,
	fn func(id string, value []byte, units unitStates)) (int64, error) {
	resp, err := cli.Get(ctx, root, clientv3.WithPrefix(), clientv3.WithRev(rev))
	if err != nil {
		return 0, err
	}
	for _, kv := range resp.Kvs {
		id, _, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), root), "/")
		if string(kv.Key) != statusKey(id) {
			continue
		}
		var units unitStates
		_ = json.Unmarshal(kv.Value, &units) // tolerant: what does not decode shows as "-"
		fn(id, kv.Value, units)
	}
	return resp.Header.Revision, nil
}

// stateAt is the i-th unit's state, empty when the daemon does not say.
func stateAt(states []unitState, i int) unitState {
	if i < len(states) {
		return states[i]
	}
	return unitState{}
}

// describe formats a unit's state for the STATE column.
func (u unitState) describe(now time.Time) string {
	if u.State == "" {
		return "-"
	}
	if s := u.since(); !s.IsZero() {
		return fmt.Sprintf("%s %s", u.State, now.Sub(s).Truncate(time.Second))
	}
	return u.State
}
