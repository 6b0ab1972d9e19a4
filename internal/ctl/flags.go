package ctl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Environment variables that set the global flags' defaults.
const (
	EnvEtcd    = "LOGPIPE_ETCD"
	EnvBrokers = "LOGPIPE_BROKERS"
	EnvES      = "LOGPIPE_ES"
)

// Defaults of the global flags.
const (
	DefaultEtcd    = "127.0.0.1:2379"
	DefaultBrokers = "127.0.0.1:9092"
	DefaultES      = "http://127.0.0.1:9200"
	DefaultTimeout = 5 * time.Second
)

// globals are the flags every command accepts, before or after its name.
type globals struct {
	env     func(string) string
	config  string
	timeout time.Duration
	output  string
	// flagValues are the connection settings given as flags, by name.
	flagValues map[string]string
}

func defaultGlobals(env func(string) string) globals {
	return globals{env: env, timeout: DefaultTimeout, output: "table", flagValues: map[string]string{}}
}

func (g *globals) register(fs *flag.FlagSet) {
	g.registerSettings(fs)
	fs.DurationVar(&g.timeout, "timeout", g.timeout, "bound of every call to etcd, Kafka or Elasticsearch")
	fs.StringVar(&g.output, "o", g.output, "output: table or json")
}

func split(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// flags returns the flag set of command path (e.g. "logctl task add"):
// syntax shows its arguments, help explains it; the global flags are added.
func (c *cli) flags(path, syntax, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s %s\n\n%s\n\nflags (and the global ones, listed by logctl -h: --config, --etcd, --brokers, --es, ...):\n", path, syntax, help)
		fs.VisitAll(func(f *flag.Flag) {
			if !isGlobal(f.Name) {
				printFlag(w, f)
			}
		})
	}
	c.g.register(fs)
	return fs
}

// groupFlags is the flag set of a command that only holds subcommands.
func (c *cli) groupFlags(path, help string, sub []command) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.g.register(fs)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s [flags] COMMAND [flags] [args]\n", path)
		if help != "" {
			fmt.Fprintf(w, "\n%s\n", help)
		}
		fmt.Fprintf(w, "\ncommands:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, s := range sub {
			fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nglobal flags:\n")
		fs.VisitAll(func(f *flag.Flag) { printFlag(w, f) })
		fmt.Fprintf(w, "\nRun '%s COMMAND -h' for a command's flags.\n", path)
	}
	return fs
}

func isGlobal(name string) bool {
	return name == "timeout" || name == "o" || isSetting(name)
}

// cmdPrefix starts a message about fs's command: "task add: " ("" at the top).
func cmdPrefix(fs *flag.FlagSet) string {
	if n, ok := strings.CutPrefix(fs.Name(), "logctl "); ok {
		return n + ": "
	}
	return ""
}

func printFlag(w io.Writer, f *flag.Flag) {
	name, usage := flag.UnquoteUsage(f)
	dash := "--"
	if len(f.Name) == 1 {
		dash = "-"
	}
	if name != "" {
		name = " " + name
	}
	fmt.Fprintf(w, "  %s%s%s\n    \t%s", dash, f.Name, name, usage)
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
	default:
		fmt.Fprintf(w, " (default %q)", f.DefValue)
	}
	fmt.Fprintln(w)
}

// parse parses a command's arguments (see parseArgs), records the global
// flags given and checks -o; c.asJSON then says whether to write JSON.
func (c *cli) parse(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
	pos, err := parseArgs(fs, args, want...)
	if err != nil {
		return nil, err
	}
	switch c.g.output {
	case "table", "":
		c.asJSON = false
	case "json":
		c.asJSON = true
	default:
		return nil, usagef(fs, "-o %q: want table or json", c.g.output)
	}
	if c.conns, err = c.g.resolve(); err != nil {
		return nil, err
	}
	return pos, nil
}

// parseArgs parses args, in which flags and the positional arguments named by
// want may be mixed ("task add NAME --path P" reads naturally; the flag
// package alone stops at NAME). It returns exactly len(want) values.
func parseArgs(fs *flag.FlagSet, args []string, want ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, parseErr(fs, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) != len(want) {
		if len(pos) < len(want) {
			return nil, usagef(fs, "%s%s is required", cmdPrefix(fs), strings.Join(want[len(pos):], " "))
		}
		return nil, usagef(fs, "%sunexpected argument %q", cmdPrefix(fs), pos[len(want)])
	}
	return pos, nil
}

// parseErr turns a flag parse error (already printed with the usage by the
// flag package) into the error Run maps to an exit code.
func parseErr(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return flag.ErrHelp
	}
	return usageError{fs: fs}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// fieldsFlag is k=v,k=v (repeatable).
type fieldsFlag map[string]string

func (f fieldsFlag) String() string { return "" }

func (f fieldsFlag) Set(v string) error {
	for _, kv := range split(v) {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: want key=value", kv)
		}
		f[k] = val
	}
	return nil
}
