package ctl

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func taskCommands() []command {
	return editCommands("task", "list tasks (an agent's own, those for all agents, collect_config)",
		runTaskAdd, runTaskGet, runTaskLs, runTaskRm)
}

// agentFlag adds --agent; required says whether a value must be given.
func agentFlag(fs *flag.FlagSet, required bool) *string {
	help := "agent id, or " + logagent.AllAgents + " for every agent"
	if required {
		help += " (required)"
	}
	return fs.String("agent", "", help)
}

// parseTaskRef adds --agent and parses "NAME --agent ID|all" (with the
// flags fs already has).
func (c *cli) parseTaskRef(fs *flag.FlagSet, args []string) (agent, name string, err error) {
	a := agentFlag(fs, true)
	pos, err := c.parse(fs, args, "NAME")
	if err != nil {
		return "", "", err
	}
	if *a == "" {
		return "", "", usagef(fs, "%s--agent ID (or --agent %s) is required", cmdPrefix(fs), logagent.AllAgents)
	}
	return *a, pos[0], checkName("agent", *a)
}

// taskFlags are the flags that build a task field by field.
type taskFlags struct {
	task      logagent.Task
	exclude   listFlag
	fields    fieldsFlag
	multiline logagent.Multiline
	timeout   time.Duration
}

func (tf *taskFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.task.Path, "path", "", "absolute glob of the files to ship (required)")
	fs.StringVar(&tf.task.Topic, "topic", "", "Kafka topic (required)")
	fs.Var(&tf.exclude, "exclude", "glob of files to skip, against the full path and the base name (repeatable)")
	fs.StringVar(&tf.task.From, "from", "", "beginning (default) or end: where files found at the first scan start")
	fs.Var(tf.fields, "fields", "static fields k=v,k=v sent with every line")
	fs.StringVar(&tf.multiline.Pattern, "multiline-pattern", "", "RE2 pattern of multiline events (Filebeat semantics)")
	fs.BoolVar(&tf.multiline.Negate, "multiline-negate", false, "invert the multiline pattern")
	fs.StringVar(&tf.multiline.Match, "multiline-match", "", "after or before: which neighbour a matching line joins")
	fs.IntVar(&tf.multiline.MaxLines, "multiline-max-lines", 0, "lines kept in one event (default 500)")
	fs.DurationVar(&tf.timeout, "multiline-timeout", 0, "emit a pending event after this quiet time (default 5s)")
	fs.StringVar(&tf.task.Encoding, "encoding", "", "file encoding: utf-8 (default), gbk, gb18030")
	fs.IntVar(&tf.task.MaxLineBytes, "max-line-bytes", 0, "cut longer lines (default 1 MiB)")
}

// build returns the task the flags describe; set names the flags given.
func (tf *taskFlags) build(set map[string]bool) logagent.Task {
	t := tf.task
	t.Exclude = tf.exclude
	if len(tf.fields) > 0 {
		t.Fields = tf.fields
	}
	for name := range set {
		if strings.HasPrefix(name, "multiline-") {
			m := tf.multiline
			m.Timeout = logagent.Duration(tf.timeout)
			t.Multiline = &m
			break
		}
	}
	return t
}

// setFlags names the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// flagsOrJSON returns the value given with --json (raw), or else build's
// encoding of the field flags that valueFlags registers; never both.
func flagsOrJSON(fs *flag.FlagSet, raw string, valueFlags func(*flag.FlagSet), build func(set map[string]bool) any) ([]byte, error) {
	set := setFlags(fs)
	if !set["json"] {
		return marshal(build(set))
	}
	return []byte(raw), jsonOnly(fs, set, valueFlags)
}

// jsonOnly refuses value flags next to --json: one source per value.
func jsonOnly(fs *flag.FlagSet, set map[string]bool, valueFlags func(*flag.FlagSet)) error {
	probe := flag.NewFlagSet("", flag.ContinueOnError)
	valueFlags(probe)
	var clash []string
	probe.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			clash = append(clash, "--"+f.Name)
		}
	})
	if len(clash) > 0 {
		return usagef(fs, "%s--json excludes %s", cmdPrefix(fs), strings.Join(clash, " "))
	}
	return nil
}

func runTaskAdd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl task add", "NAME --agent ID|all (--path GLOB --topic T [flags] | --json '{...}')",
		"Validates the task exactly as logagent does (logagent.DecodeTask, then Task.Validate with\n"+
			"--allowed-paths) and writes it to "+logagent.TaskKey("<agent>", "<name>")+". A task the agent\n"+
			"would reject is refused with the reason (exit 2) and nothing is written.")
	raw := fs.String("json", "", "the whole task as JSON, instead of the field flags")
	allowed := fs.String("allowed-paths", "", "the agents' allowed_paths, comma-separated (default: anywhere)")
	replace := fs.Bool("replace", false, "overwrite an existing task of that name")
	tf := &taskFlags{fields: fieldsFlag{}}
	tf.register(fs)
	agent, name, err := c.parseTaskRef(fs, args)
	if err != nil {
		return err
	}
	if err := checkName("task", name); err != nil {
		return err
	}
	value, err := flagsOrJSON(fs, *raw, (&taskFlags{fields: fieldsFlag{}}).register,
		func(set map[string]bool) any { return tf.build(set) })
	if err != nil {
		return err
	}
	task, err := logagent.DecodeTask(value)
	if err == nil {
		err = task.Validate(split(*allowed))
	}
	if err != nil {
		return refusedError{what: "task " + name, err: err}
	}
	// The value stored is the decoded task re-encoded: compact, in field
	// order, without defaults (they stay the agent's to apply).
	if value, err = marshal(task); err != nil {
		return err
	}
	key := logagent.TaskKey(agent, name)
	return c.putKey(ctx, "task", key, value, *replace)
}

func runTaskGet(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl task get", "NAME --agent ID|all", "Shows the task stored at "+logagent.TaskKey("<agent>", "<name>")+".")
	agent, name, err := c.parseTaskRef(fs, args)
	if err != nil {
		return err
	}
	key := logagent.TaskKey(agent, name)
	return c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kv, err := store{c, cli}.get(ctx, "task "+name, key)
		if err != nil {
			return err
		}
		es := taskEntries(agent, name, key, kv.ModRevision, kv.Value, nil)
		if c.asJSON {
			return writeJSON(c.stdout, es[0])
		}
		return showEntry(c, es[0].entry, es[0].Task)
	})
}

func runTaskRm(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl task rm", "NAME --agent ID|all",
		"Removes the task: the agent ships what its files held when it saw the removal, then stops it.")
	agent, name, err := c.parseTaskRef(fs, args)
	if err != nil {
		return err
	}
	return c.removeKey(ctx, "task "+name, logagent.TaskKey(agent, name))
}

// taskEntry is one listed task; a collect_config key gives one per item.
type taskEntry struct {
	entry
	Agent      string         `json:"agent"`
	Task       *logagent.Task `json:"task,omitempty"`
	Overridden string         `json:"overridden_by,omitempty"`
}

// taskEntries decodes one key's value with the agent's decoder and
// validation (logagent.DecodeKey); allowed are the allowed_paths to check
// against. A collect_config key gives an entry per item, each with the
// key's verdict: one bad item makes the agent refuse them all.
func taskEntries(agent, name, key string, rev int64, value []byte, allowed []string) []taskEntry {
	e := entry{Key: key, Name: name, Revision: rev}
	if name == "" {
		e.Name = "collect_config"
	}
	tasks, err := logagent.DecodeKey(agent, key, value, allowed)
	if err != nil {
		e.Invalid = err.Error()
	}
	switch {
	case len(tasks) == 0 && err == nil:
		return nil // an empty collect_config
	case len(tasks) == 0:
		e.Raw = string(value)
		return []taskEntry{{entry: e, Agent: agent}}
	case name != "":
		return []taskEntry{{entry: e, Agent: agent, Task: &tasks[0]}}
	}
	out := make([]taskEntry, 0, len(tasks))
	for i := range tasks {
		ie := e
		ie.Name = fmt.Sprintf("collect_config[%d]", i)
		out = append(out, taskEntry{entry: ie, Agent: agent, Task: &tasks[i]})
	}
	return out
}

func runTaskLs(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl task ls", "[--agent ID]",
		"Lists the tasks in etcd: with --agent, the ones that agent runs (its own, those for\n"+
			logagent.AllAgents+" agents, its collect_config items); without, every agent's. Each value is\n"+
			"checked with the agent's decoder; NOTE says why the agent would refuse it.")
	agent := agentFlag(fs, false)
	allowed := fs.String("allowed-paths", "", "the agents' allowed_paths, comma-separated, to check against")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	prefixes := []string{logagent.KeyRoot}
	if *agent != "" {
		if err := checkName("agent", *agent); err != nil {
			return err
		}
		prefixes = []string{logagent.TaskKey(*agent, ""), logagent.ClassicKey(*agent)}
		if *agent != logagent.AllAgents {
			prefixes = append(prefixes, logagent.TaskKey(logagent.AllAgents, ""))
		}
	}
	var list []taskEntry
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		for _, p := range prefixes {
			kvs, _, err := store{c, cli}.list(ctx, p)
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				a, name, classic, ok := logagent.ParseKey(string(kv.Key))
				if ok && (name != "" || classic) {
					list = append(list, taskEntries(a, name, string(kv.Key), kv.ModRevision, kv.Value, split(*allowed))...)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	markOverridden(list, *agent)
	slices.SortStableFunc(list, func(a, b taskEntry) int {
		return strings.Compare(a.Agent+"\x00"+a.Name, b.Agent+"\x00"+b.Name)
	})
	if c.asJSON {
		return writeJSON(c.stdout, nonNil(list))
	}
	t := newTable(c.stdout, "AGENT", "NAME", "TOPIC", "PATH", "REV", "NOTE")
	for _, e := range list {
		topic, path := "-", "-"
		if e.Task != nil {
			topic, path = e.Task.Topic, e.Task.Path
		}
		note := e.note()
		if e.Overridden != "" {
			note = "overridden by " + e.Overridden
		}
		t.row(e.Agent, e.Name, topic, path, e.Revision, note)
	}
	return t.flush()
}

// markOverridden notes the tasks for all agents that agent's own task of the
// same name replaces (the agent's rule: its own task wins).
func markOverridden(list []taskEntry, agent string) {
	if agent == "" || agent == logagent.AllAgents {
		return
	}
	own := map[string]string{}
	for _, e := range list {
		if e.Agent == agent {
			own[e.Name] = e.Key
		}
	}
	for i, e := range list {
		if e.Agent == logagent.AllAgents && own[e.Name] != "" {
			list[i].Overridden = own[e.Name]
		}
	}
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
