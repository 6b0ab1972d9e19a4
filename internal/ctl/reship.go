package ctl

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// reship: 补录 from the source. The request is a key the agent follows
// (logagent.ReshipKey); the agent runs it once and reports its state in its
// status key, and its progress on its HTTP address (/status/reships).

func reshipCommands() []command {
	return []command{
		{name: "add", summary: "ask an agent to send a file's byte range again, with its first ids", run: runReshipAdd},
		{name: "ls", summary: "list reships and their state", run: runReshipLs},
		{name: "status", summary: "one reship's progress and result, from the agent", run: runReshipStatus},
		{name: "rm", summary: "remove a reship (stops it if it runs)", run: runReshipRm},
	}
}

// parseReshipRef adds --agent and parses "NAME --agent ID"; a reship is
// one agent's (its file is on that host), never all agents'.
func (c *cli) parseReshipRef(fs *flag.FlagSet, args []string) (agent, name string, err error) {
	a := fs.String("agent", "", "agent id (required)")
	pos, err := c.parse(fs, args, "NAME")
	if err != nil {
		return "", "", err
	}
	if *a == "" || *a == logagent.AllAgents {
		return "", "", usagef(fs, "%s--agent ID is required (one agent: the file is on its host)", cmdPrefix(fs))
	}
	if err := checkName("agent", *a); err != nil {
		return "", "", err
	}
	return *a, pos[0], checkName("reship", pos[0])
}

func runReshipAdd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl reship add", "NAME --agent ID --path FILE (--from-offset A [--to-offset B] | --from-time T1 --to-time T2) [--topic T]",
		"Asks the agent to send the lines starting in [A, B) of FILE again, with the ids (lp.id)\n"+
			"and, where it still can, the lp.ts they were first sent with: what the index holds\n"+
			"collapses (409), the rest fills the gap. Writes "+logagent.ReshipKey("<agent>", "<name>")+";\n"+
			"the agent refuses, with the reason in its status, a file outside allowed_paths,\n"+
			"gone, or no longer the file it shipped. Only lines Kafka acked before are sent\n"+
			"(B is capped at the file's saved position). A time window [T1, T2) is rounded out to\n"+
			"whole UTC hours and mapped to offsets by the agent's audit hours (`logctl audit`), when\n"+
			"they account for every line of the file. See `logctl reship status`.")
	var r logagent.Reship
	fs.StringVar(&r.Path, "path", "", "absolute path of the file on the agent's host (required)")
	fs.Int64Var(&r.From, "from-offset", 0, "first byte of the range (a line start; inside a line: the next one)")
	fs.Int64Var(&r.To, "to-offset", 0, "end of the range: lines starting before it (default: the saved position)")
	fs.StringVar(&r.Topic, "topic", "", "topic to send to (default: the task's)")
	fs.StringVar(&r.Task, "task", "", "the task whose position and framing apply, when several ship the file")
	fs.Var(timeFlag{&r.FromTime}, "from-time", "start of a time window of lp.ts, RFC 3339, instead of offsets")
	fs.Var(timeFlag{&r.ToTime}, "to-time", "end of the time window, RFC 3339")
	fs.StringVar(&r.FileID, "file-id", "", "refuse unless the file's record file id is still this one (from status or audit)")
	replace := fs.Bool("replace", false, "overwrite an existing reship of that name (it runs again)")
	agent, name, err := c.parseReshipRef(fs, args)
	if err != nil {
		return err
	}
	value, err := marshal(r)
	if err == nil {
		_, err = logagent.DecodeReship(value)
	}
	if err != nil {
		return refusedError{what: "reship " + name, err: err}
	}
	return c.putKey(ctx, "reship", logagent.ReshipKey(agent, name), value, *replace)
}

func runReshipRm(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl reship rm", "NAME --agent ID",
		"Removes the reship: a running one stops (what it sent stays sent), a finished one\n"+
			"leaves the agent's status.")
	agent, name, err := c.parseReshipRef(fs, args)
	if err != nil {
		return err
	}
	return c.removeKey(ctx, "reship "+name, logagent.ReshipKey(agent, name))
}

// reshipEntry is one listed reship: its request and what its agent says.
type reshipEntry struct {
	entry
	Agent   string                  `json:"agent"`
	Reship  *logagent.Reship        `json:"reship,omitempty"`
	Summary *logagent.ReshipSummary `json:"summary,omitempty"`
}

func runReshipLs(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl reship ls", "[--agent ID]",
		"Lists the reships in etcd with the state their agent reports (pending until it does).")
	agent := fs.String("agent", "", "only this agent's")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var list []reshipEntry
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kvs, _, err := store{c, cli}.list(ctx, logagent.KeyRoot)
		if err != nil {
			return err
		}
		summaries := map[string]logagent.ReshipSummary{} // by key
		for _, kv := range kvs {
			a, _, _ := strings.Cut(strings.TrimPrefix(string(kv.Key), logagent.KeyRoot), "/")
			if string(kv.Key) != logagent.StatusKey(a) {
				continue
			}
			var st logagent.Status
			if json.Unmarshal(kv.Value, &st) == nil {
				for _, s := range st.Reships {
					summaries[logagent.ReshipKey(a, s.Name)] = s
				}
			}
		}
		for _, kv := range kvs {
			key := string(kv.Key)
			a, _, _ := strings.Cut(strings.TrimPrefix(key, logagent.KeyRoot), "/")
			name, ok := strings.CutPrefix(key, logagent.ReshipPrefix(a))
			if !ok || name == "" || (*agent != "" && a != *agent) {
				continue
			}
			e := reshipEntry{entry: entry{Key: key, Name: name, Revision: kv.ModRevision}, Agent: a}
			if r, err := logagent.DecodeReship(kv.Value); err != nil {
				e.Raw, e.Invalid = string(kv.Value), err.Error()
			} else {
				e.Reship = &r
			}
			if s, ok := summaries[key]; ok {
				e.Summary = &s
			}
			list = append(list, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.asJSON {
		return writeJSON(c.stdout, nonNil(list))
	}
	t := newTable(c.stdout, "AGENT", "NAME", "PATH", "RANGE", "STATE", "SENT", "ACKED", "NOTE")
	for _, e := range list {
		path, rng := "-", "-"
		if r := e.Reship; r != nil {
			path, rng = r.Path, fmt.Sprintf("[%d, %s)", r.From, orEnd(r.To))
			if !r.FromTime.IsZero() {
				rng = fmt.Sprintf("[%s, %s)", r.FromTime.UTC().Format(time.RFC3339), r.ToTime.UTC().Format(time.RFC3339))
			}
		}
		state, sent, acked, note := "pending", "-", "-", e.note()
		if s := e.Summary; s != nil {
			state = s.State
			if s.State != logagent.ReshipRunning {
				sent, acked = fmt.Sprint(s.Sent), fmt.Sprint(s.Acked)
			}
			if note == "" {
				note = s.Reason
			}
		}
		t.row(e.Agent, e.Name, path, rng, state, sent, acked, orDash(note))
	}
	return t.flush()
}

// timeFlag is an RFC 3339 time flag.
type timeFlag struct{ t *time.Time }

func (f timeFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f timeFlag) Set(v string) error {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("want RFC 3339 such as 2020-06-23T18:00:00+08:00: %w", err)
	}
	*f.t = t
	return nil
}

func orEnd(to int64) string {
	if to == 0 {
		return "saved position"
	}
	return fmt.Sprint(to)
}

func runReshipStatus(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl reship status", "NAME --agent ID",
		"Shows the reship's progress and result as its agent reports it on its HTTP address\n"+
			"(/status/reships): the range sent, lines sent and acked, the offset acked up to,\n"+
			"where the lines' lp.ts came from, and why it was refused or failed.")
	agent, name, err := c.parseReshipRef(fs, args)
	if err != nil {
		return err
	}
	var st logagent.Status
	err = c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kv, err := store{c, cli}.get(ctx, "agent "+agent+" status", logagent.StatusKey(agent))
		if err != nil {
			return err
		}
		return json.Unmarshal(kv.Value, &st)
	})
	if err != nil {
		return err
	}
	if st.HTTP == "" {
		return fmt.Errorf("agent %s serves no HTTP address ([http] listen): its status key holds only the summary", agent)
	}
	var all []logagent.ReshipStatus
	if err := c.agentGet(ctx, st.HTTP, "/status/reships", &all); err != nil {
		return err
	}
	for _, r := range all {
		if r.Name != name {
			continue
		}
		if c.asJSON {
			return writeJSON(c.stdout, r)
		}
		return writeReship(c, r)
	}
	return fmt.Errorf("agent %s runs no reship %s (not applied yet, or removed)", agent, name)
}

func writeReship(c *cli, r logagent.ReshipStatus) error {
	t := newTable(c.stdout, "FIELD", "VALUE")
	t.row("name", r.Name)
	t.row("state", r.State)
	t.row("reason", orDash(r.Reason))
	t.row("path", r.Path)
	t.row("file id", orDash(r.FileID))
	t.row("task", orDash(r.Task))
	t.row("topic", orDash(r.Topic))
	t.row("range", fmt.Sprintf("[%d, %d)", r.From, r.To))
	t.row("acked up to", r.AckedOffset)
	t.row("lines sent", r.Sent)
	t.row("lines acked", r.Acked)
	t.row("lp.ts", fmt.Sprintf("%d from time anchors, %d from audit hours, %d estimated", r.TSAnchored, r.TSHourly, r.TSEstimated))
	t.row("started", r.Started.UTC().Format("2006-01-02 15:04:05"))
	if !r.Ended.IsZero() {
		t.row("ended", r.Ended.UTC().Format("2006-01-02 15:04:05"))
	}
	return t.flush()
}
