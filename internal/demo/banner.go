package demo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/logpipe/logpipe/internal/mirror"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// printBanner says where everything listens and what to paste to look at
// it.
func printBanner(o Options, st *stack) {
	etcd := strings.TrimPrefix(st.etcd.Endpoint(), "http://")
	cloud, idc := strings.Join(st.cloud.Addrs(), ","), strings.Join(st.idc.Addrs(), ",")
	roll := "on the hour"
	if o.Roll != DefaultRoll {
		roll = "every " + o.Roll.String()
	}
	w := tabwriter.NewWriter(o.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "logstack: logagent → cloud Kafka → mirror → IDC Kafka → logtransfer → ES API, in one process\n")
	rows := [][2]string{
		{"etcd", st.etcd.Endpoint()},
		{"kafka cloud", cloud + "  (kfake)"},
		{"kafka idc", idc + "  (kfake)"},
		{"mirror", "group " + mirror.DefaultGroup + "  (local stand-in for MirrorMaker 2)"},
		{"ES API", st.esURL + "  (esdev stand-in, not Elasticsearch)"},
		{"metrics", "logagent http://" + st.agent.HTTPAddr() + "/metrics"},
		{"", "logtransfer http://" + st.transfer.HTTPAddr() + "/metrics"},
		{"", "mirror http://" + st.mirrorOps.Addr() + "/metrics"},
		{"app logs", fmt.Sprintf("%s/mg_YYYY-MM-DD-HH.log  (%d lines/s, new file %s)", st.logDir, o.Rate, roll)},
		{"daemon logs", st.logPath},
		{"task", logagent.TaskKey(AgentID, TaskName) + " " + st.taskJSON},
		{"route", logtransfer.RouteKey(RouteName) + " " + st.routeJSON},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %s\t%s\n", r[0], r[1])
	}
	w.Flush()
	logctl := logctlCommand()
	agentINI, transferINI := filepath.Join(st.dir, "logagent.ini"), filepath.Join(st.dir, "logtransfer.ini")
	fmt.Fprintf(o.Out, "try (from this directory; etcdctl and kcat: apt install etcd-client kcat):\n")
	for _, c := range []string{
		logctl + " status --etcd " + etcd,
		logctl + " top --etcd " + etcd,
		logctl + " check --config " + agentINI,
		logctl + " check --config " + transferINI,
		logctl + " tap --config " + transferINI + " --route " + RouteName + " --limit 3",
		logctl + " tap --brokers " + cloud + " " + Topic + " --limit 3",
		logctl + " lag --brokers " + cloud + " -group " + mirror.DefaultGroup,
		"etcdctl --endpoints " + etcd + " get --prefix /logagent",
		"kcat -b " + idc + " -t " + Topic + " -C -f '%h %s\\n'",
		"curl -s '" + st.esURL + "/" + IndexPattern + "/_search?q=message:error&size=2&pretty'",
	} {
		fmt.Fprintf(o.Out, "  %s\n", c)
	}
}

// explainLine is `logctl explain` for the file gen writes to, with the
// agent's ini (its etcd, its id): printed once the file exists and ships.
func explainLine(st *stack, gen *generator) string {
	return logctlCommand() + " explain --config " + filepath.Join(st.dir, "logagent.ini") + " " + filepath.Join(st.logDir, gen.name)
}

// statusLine prints samples: rewritten in place on a terminal, one line a
// second otherwise.
type statusLine struct {
	w       io.Writer
	inPlace bool
	open    bool
}

func (l *statusLine) show(s sample) {
	if !l.inPlace {
		fmt.Fprintln(l.w, s)
		return
	}
	fmt.Fprintf(l.w, "\r%s\x1b[K", s)
	l.open = true
}

// end moves past a line rewritten in place, so the next output starts on
// its own line.
func (l *statusLine) end() {
	if l.open {
		fmt.Fprintln(l.w)
		l.open = false
	}
}

// logctlCommand is how to run logctl from the repository's root: the
// binary `make demo` builds, else go run.
func logctlCommand() string {
	if st, err := os.Stat(filepath.Join("bin", "logctl")); err == nil && !st.IsDir() {
		return "bin/logctl"
	}
	return "go run ./cmd/logctl"
}
