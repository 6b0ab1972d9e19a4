// Package ctl is logctl, the operator CLI of logpipe: it edits the agents'
// tasks and the transfer routes in etcd, shows what every daemon reports in
// its status key (once, or live with top), the consumer-group lag in
// Kafka, samples a topic (tap), replays a time window, searches
// Elasticsearch and checks a configuration's services (check, shared with
// the daemons' -check-deps).
//
//	logctl ──task/route──▶ etcd ◀──status/top── logagent, logtransfer
//	   ├────lag, tap────▶ Kafka (consumer groups, end offsets; records)
//	   ├────replay──────▶ logtransfer.Replay (Kafka → Elasticsearch)
//	   ├────search──────▶ Elasticsearch
//	   ├────audit───────▶ agents' line counts (etcd) against Elasticsearch
//	   ├────explain─────▶ an agent's /status/explain (else its tasks in etcd)
//	   ├────reship──────▶ etcd → an agent re-sends a file's byte range
//	   └────check───────▶ etcd, Kafka, Elasticsearch with the ini's TLS/auth
//
// Connection settings are the daemons' own [etcd] [kafka] [elasticsearch]
// sections (settings.go): from a daemon's ini (--config), LOGPIPE_*
// variables or flags, so logctl reaches a secured cluster as they do.
//
// Values are validated with the daemons' own decoders (logagent.DecodeTask,
// Task.Validate, logtransfer.DecodeRoute), so a value logctl accepts is one
// the daemons accept, and a bad one never reaches etcd. Every call to a
// service is bounded by --timeout: an unreachable service is an error, never
// a hang.
package ctl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes of Run.
const (
	ExitOK      = 0
	ExitFailure = 1 // a service failed or a key is missing
	ExitUsage   = 2 // bad arguments, or a value the daemons would refuse
)

// usageError is a mistake in the command line; fs's usage follows it (the
// flag package has already printed both when msg is empty).
type usageError struct {
	msg string
	fs  *flag.FlagSet
}

func (e usageError) Error() string { return e.msg }

func usagef(fs *flag.FlagSet, format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...), fs: fs}
}

// refusedError is a task or route the daemons would reject.
type refusedError struct {
	what string
	err  error
}

// Error puts each of several reasons (errors.Join) on its own line.
func (e refusedError) Error() string {
	msg := e.err.Error()
	if strings.Contains(msg, "\n") {
		return e.what + " refused:\n  " + strings.ReplaceAll(msg, "\n", "\n  ")
	}
	return e.what + " refused: " + msg
}

func (e refusedError) Unwrap() error { return e.err }

// cli is one invocation: where it writes and the global flags.
type cli struct {
	stdout, stderr io.Writer
	g              globals
	asJSON         bool // -o json
	// conns are the connection settings, resolved by parse.
	conns *conns
}

// command is one (sub)command. run receives the arguments after its name.
type command struct {
	name    string
	summary string
	sub     []command
	run     runFunc
}

func commands() []command {
	return []command{
		{name: "task", summary: "add, get, list or remove logagent tasks", sub: taskCommands()},
		{name: "route", summary: "add, get, list or remove logtransfer routes", sub: routeCommands()},
		{name: "status", summary: "what every agent and transfer instance reports", run: runStatus},
		{name: "top", summary: "a live view, every second, of lines/s, docs/s, lag, state and errors per file and partition", run: runTop},
		{name: "lag", summary: "consumer-group offsets, end offsets and lag", run: runLag},
		{name: "tap", summary: "a live sample of a topic's records with their lp.* headers, and a route's documents", run: runTap},
		{name: "replay", summary: "re-index a route's records of a time window", run: runReplay},
		{name: "search", summary: "search log lines in Elasticsearch", run: runSearch},
		{name: "audit", summary: "lines read and acked by each agent against lines indexed, per file and hour", run: runAudit},
		{name: "explain", summary: "why a file is or is not shipped: tasks, excludes, allowed_paths, permissions, limits, offsets", run: runExplain},
		{name: "reship", summary: "send a file's byte range again from an agent's host, with its first ids (补录)", sub: reshipCommands()},
		{name: "check", summary: "validate the configuration and try etcd, Kafka and Elasticsearch with its TLS and auth", run: runCheck},
	}
}

// Run runs logctl with args (without the program name) and returns the exit
// code. env looks up environment variables (os.Getenv), so tests run it
// in-process.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, g: defaultGlobals(env)}
	cmds, path := commands(), "logctl"
	fs := c.groupFlags(path, "", cmds)
	if err := fs.Parse(args); err != nil {
		return c.exit(parseErr(fs, err))
	}
	rest := fs.Args()
	for {
		if len(rest) == 0 {
			return c.exit(usagef(fs, "%sa command is required", cmdPrefix(fs)))
		}
		cmd, ok := find(cmds, rest[0])
		if !ok {
			return c.exit(usagef(fs, "%sunknown command %q", cmdPrefix(fs), rest[0]))
		}
		path, rest = path+" "+cmd.name, rest[1:]
		if cmd.run != nil {
			return c.exit(cmd.run(ctx, c, rest))
		}
		cmds = cmd.sub
		fs = c.groupFlags(path, cmd.summary, cmds)
		if err := fs.Parse(rest); err != nil {
			return c.exit(parseErr(fs, err))
		}
		rest = fs.Args()
	}
}

// runFunc runs a command with the arguments after its name.
type runFunc func(ctx context.Context, c *cli, args []string) error

// editCommands are the subcommands editing one kind of etcd value.
func editCommands(kind, lsSummary string, add, get, ls, rm runFunc) []command {
	return []command{
		{name: "add", summary: "validate a " + kind + " and write it to etcd", run: add},
		{name: "get", summary: "show one " + kind, run: get},
		{name: "ls", summary: lsSummary, run: ls},
		{name: "rm", summary: "remove a " + kind, run: rm},
	}
}

func find(cmds []command, name string) (command, bool) {
	for _, c := range cmds {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// exit prints err and maps it to an exit code.
func (c *cli) exit(err error) int {
	var ue usageError
	var re refusedError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, ErrCheckFailed):
		return ExitFailure // each step said why
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(c.stderr, "logctl: %s\n\n", ue.msg)
			ue.fs.Usage()
		}
		return ExitUsage
	case errors.As(err, &re):
		fmt.Fprintf(c.stderr, "logctl: %v\n", err)
		return ExitUsage
	}
	fmt.Fprintf(c.stderr, "logctl: %v\n", err)
	return ExitFailure
}
