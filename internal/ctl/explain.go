package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// explainReport is `logctl explain -o json`.
type explainReport struct {
	Agent   string `json:"agent"`
	Path    string `json:"path"`
	Shipped bool   `json:"shipped"`
	// Source is where the explanation was worked out: the agent's HTTP
	// address, or "local" (logctl's host and user, the agent not running
	// or not answering).
	Source string `json:"source"`
	// Notes are what concerns the agent rather than a task: not running,
	// an edit not applied yet, a matching task key it refused.
	Notes       []string             `json:"notes,omitempty"`
	Explanation logagent.Explanation `json:"explanation"`
	// latest is the newest mod revision of the task keys the agent follows.
	latest int64
}

// errNotShipped exits 1 once the report said why.
var errNotShipped = fmt.Errorf("file not shipped: %w", ErrCheckFailed)

func runExplain(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl explain", "PATH [--agent ID]",
		"Says why the file at PATH is or is not shipped by an agent: which of its tasks' globs match\n"+
			"it (its own tasks and those for "+logagent.AllAgents+", resolved as the agent does), excludes,\n"+
			"allowed_paths after symlinks, whether the agent's user can read it, harvester_limit, idle\n"+
			"close, its identity (dev/inode, fingerprint, generation, file id), acked offset, size, lag\n"+
			"and the task's last error. The agent works it out itself, on its HTTP address (named in\n"+
			"its status key); when it does not answer, logctl does, on this host, from the tasks in etcd\n"+
			"and the agent's registry (--config the agent's ini gives its allowed_paths and state_dir).\n"+
			"Exit 0 when a task ships the file (or shipped all of it), 1 when none does.")
	agent := fs.String("agent", "", "agent id (default: [agent] id of --config, else the only agent with a status key)")
	pos, err := c.parse(fs, args, "PATH")
	if err != nil {
		return err
	}
	path, err := filepath.Abs(pos[0])
	if err != nil {
		return usagef(fs, "explain: %v", err)
	}
	if *agent == "" && c.conns.Agent != nil {
		*agent = c.conns.Agent.Agent.ID
	}
	if *agent != "" {
		if err := checkName("agent", *agent); err != nil {
			return err
		}
	}
	rep := explainReport{Agent: *agent, Path: path}
	kvs, err := c.agentKeys(ctx, &rep)
	if err != nil {
		return err
	}
	c.explain(ctx, &rep, kvs)
	if c.asJSON {
		err = writeJSON(c.stdout, rep)
	} else {
		err = rep.render(c.stdout, time.Now())
	}
	if err == nil && !rep.Shipped {
		return errNotShipped
	}
	return err
}

// agentKeys reads the keys rep.Agent follows (its tasks, those for all,
// its status); without an agent, the only one with a status key is it.
func (c *cli) agentKeys(ctx context.Context, rep *explainReport) (map[string]string, error) {
	kvs := map[string]string{}
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		if rep.Agent == "" {
			resp, err := cli.Get(ctx, logagent.KeyRoot, clientv3.WithPrefix(), clientv3.WithKeysOnly())
			if err != nil {
				return c.etcdErr(err)
			}
			var agents []string
			for _, kv := range resp.Kvs {
				a, _, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), logagent.KeyRoot), "/")
				if string(kv.Key) == logagent.StatusKey(a) {
					agents = append(agents, a)
				}
			}
			if len(agents) != 1 {
				return fmt.Errorf("explain: --agent ID is required: %d agents have a status key %v", len(agents), agents)
			}
			rep.Agent = agents[0]
		}
		for _, p := range logagent.WatchPrefixes(rep.Agent) {
			resp, err := cli.Get(ctx, p, clientv3.WithPrefix())
			if err != nil {
				return c.etcdErr(err)
			}
			for _, kv := range resp.Kvs {
				kvs[string(kv.Key)] = string(kv.Value)
				if _, name, classic, ok := logagent.ParseKey(string(kv.Key)); ok && (name != "" || classic) {
					rep.latest = max(rep.latest, kv.ModRevision)
				}
			}
		}
		return nil
	})
	return kvs, err
}

// explain asks the agent, else works it out here (logagent.Explain).
func (c *cli) explain(ctx context.Context, rep *explainReport, kvs map[string]string) {
	settings, own := logagent.DefaultSettings(), false
	if a := c.conns.Agent; a != nil && a.Agent.ID == rep.Agent {
		settings, own = a.Agent, true
	}
	tasks, rejected := logagent.ResolveTasks(rep.Agent, settings.AllowedPaths, kvs)
	var st logagent.Status
	raw, running := kvs[logagent.StatusKey(rep.Agent)]
	switch {
	case !running:
		rep.Notes = append(rep.Notes, "agent "+rep.Agent+" has no status key: not running (or never reached etcd)")
	case json.Unmarshal([]byte(raw), &st) != nil:
		rep.Notes = append(rep.Notes, "agent "+rep.Agent+": unreadable status key")
	case st.HTTP == "":
		rep.Notes = append(rep.Notes, "agent "+rep.Agent+" serves no HTTP address ([http] listen is off)")
	default:
		err := c.agentGet(ctx, st.HTTP, "/status/explain?path="+url.QueryEscape(rep.Path), &rep.Explanation)
		if err == nil {
			rep.Source = st.HTTP
			rejected = st.Rejected
			if rep.latest > st.Rev {
				rep.Notes = append(rep.Notes, fmt.Sprintf("edit not applied yet (keys at revision %d, applied %d): the agent explains with its tasks as applied", rep.latest, st.Rev))
			}
			break
		}
		rep.Notes = append(rep.Notes, err.Error())
	}
	if rep.Source == "" {
		rep.Source = "local"
		if !own {
			rep.Notes = append(rep.Notes, "explained here with default [agent] settings: --config the agent's ini for its allowed_paths and state_dir")
		}
		rep.Explanation = logagent.Explain(rep.Agent, settings, tasks, rep.Path)
	}
	for _, r := range rejected {
		if t, err := logagent.DecodeTask([]byte(kvs[r.Key])); err == nil {
			if m, _ := filepath.Match(t.Path, rep.Path); m {
				rep.Notes = append(rep.Notes, "task key "+r.Key+" matches but the agent refused it: "+r.Reason)
			}
		}
	}
	for _, t := range rep.Explanation.Tasks {
		rep.Shipped = rep.Shipped || t.Ships()
	}
}

// render writes one line per finding, the verdict last.
func (rep explainReport) render(w io.Writer, now time.Time) error {
	ex := rep.Explanation
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(who, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", who, cellCleaner.Replace(fmt.Sprintf(format, args...)))
	}
	from := "asked the agent at " + rep.Source
	if rep.Source == "local" {
		from = "worked out on this host: the agent did not answer"
	}
	fmt.Fprintf(w, "explain %s on agent %s (%s)\n", rep.Path, rep.Agent, from)
	for _, n := range rep.Notes {
		line("agent", "%s", n)
	}
	switch {
	case ex.StatError != "":
		line("file", "%s", ex.StatError)
	default:
		line("file", "%s, modified %s", bytesIEC(ex.Size), age(now, ex.ModUnix))
	}
	if ex.Resolved != "" {
		line("file", "resolves to %s", ex.Resolved)
	}
	var why []string
	matched := 0
	for _, t := range ex.Tasks {
		who := "task " + t.Task
		if t.State == logagent.ExplainNotMatched {
			line(who, "not matched (glob %s)", t.Glob)
			continue
		}
		matched++
		line(who, "matched (glob %s, topic %s)", t.Glob, t.Topic)
		line(who, "%s", taskFinding(t, ex))
		if id := t.Identity; id != nil {
			line(who, "file id %s (dev %d inode %d, fingerprint %s of %d bytes, generation %d)",
				id.FileID, id.Dev, id.Ino, id.Fingerprint, id.FPLen, id.Gen)
		}
		if t.Ships() {
			line(who, "%s", idleFinding(t, ex, now))
		}
		if h := t.Health; h.State != "" && h.Degraded() {
			line(who, "task %s since %s: %s", h.State, h.Since.Local().Format("15:04:05"), h.Reason)
		}
		switch {
		case t.Stalled():
			why = append(why, t.Task+" stalled")
		case !t.Ships():
			why = append(why, t.Task+" "+strings.ReplaceAll(t.State, "_", " "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var verdict string
	switch {
	case rep.Shipped:
		var by []string
		for _, t := range ex.Tasks {
			if t.Ships() {
				by = append(by, t.Task)
			}
		}
		verdict = "shipped by task " + strings.Join(by, ", ")
	case matched == 0:
		verdict = fmt.Sprintf("NOT shipped: none of the agent's %d task(s) matches it", len(ex.Tasks))
	default:
		verdict = "NOT shipped: " + strings.Join(why, "; ")
	}
	_, err := fmt.Fprintf(w, "verdict: %s\n", verdict)
	return err
}

// taskFinding is the line saying what the task does with the file.
func taskFinding(t logagent.TaskExplanation, ex logagent.Explanation) string {
	progress := fmt.Sprintf("acked %s of %s (lag %s)", bytesIEC(t.Acked), bytesIEC(ex.Size), bytesIEC(max(ex.Size-t.Acked, 0)))
	switch t.State {
	case logagent.ExplainShipping:
		return "shipping: " + progress
	case logagent.ExplainShipped:
		return "shipped: " + progress + ", " + t.Reason
	case logagent.ExplainWaiting:
		return "waiting for a harvester slot: " + t.Reason + "; " + progress
	case logagent.ExplainPending, logagent.ExplainStopped:
		return strings.ReplaceAll(t.State, "_", " ") + ": " + t.Reason + "; " + progress
	case logagent.ExplainUnreadable:
		return "unreadable by the agent's user: " + t.Reason
	case logagent.ExplainNoFirstLine:
		return "not yet: " + t.Reason
	case logagent.ExplainAbsent:
		return "absent: no regular file there to ship"
	}
	return strings.ReplaceAll(t.State, "_", " ") + ": " + t.Reason
}

// idleFinding says when the agent closes (or closed) the file.
func idleFinding(t logagent.TaskExplanation, ex logagent.Explanation, now time.Time) string {
	idle := age(now, ex.ModUnix)
	ci := time.Duration(ex.CloseInactive)
	if t.State == logagent.ExplainShipped {
		return fmt.Sprintf("idle close: closed, last written %s (close_inactive %s)", idle, ci)
	}
	return fmt.Sprintf("idle close: open, last written %s; closed after close_inactive %s without growth", idle, ci)
}
