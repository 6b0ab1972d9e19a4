package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// shipper is one program that follows a file into a Kafka topic: logagent or
// a peer it is measured beside in the same run, pinned the same way.
type shipper struct {
	name string
	// skip says why the shipper cannot run on this machine ("" if it can).
	skip func() string
	// start begins following file into topic on broker, from the file's start.
	start func(e *env, ctx context.Context, dir, file, broker, topic string) (*Proc, error)
	// flush, when set, makes the shipper send what it still holds once the
	// writer stopped (kcat sends the last partial buffer of its stdin only
	// at end of input).
	flush func(p *Proc)
}

// shippers are logagent and its peers, in the order they run. The peers use
// their own defaults but for acks=all and the codec named in their
// description, so each is what an operator gets by following its manual.
var shippers = []shipper{
	{name: "logagent", skip: func() string { return "" }, start: (*env).startFollowAgent},
	{name: "kcat", skip: needs("kcat", "apt-get install kcat"), start: (*env).startKcat, flush: endTail},
	{name: "rsyslog", skip: rsyslogMissing, start: (*env).startRsyslog},
	{name: "naive-go", skip: func() string { return "" }, start: (*env).startNaive},
}

// needs reports a missing program with how to install it.
func needs(prog, install string) func() string {
	return func() string {
		if _, err := exec.LookPath(prog); err != nil {
			return prog + " not installed (" + install + ")"
		}
		return ""
	}
}

// omkafkaPaths are where Debian and Red Hat put rsyslog's Kafka output.
var omkafkaPaths = []string{"/usr/lib/x86_64-linux-gnu/rsyslog/omkafka.so", "/usr/lib/aarch64-linux-gnu/rsyslog/omkafka.so", "/usr/lib64/rsyslog/omkafka.so", "/usr/lib/rsyslog/omkafka.so"}

func rsyslogMissing() string {
	if s := needs("rsyslogd", "apt-get install rsyslog rsyslog-kafka")(); s != "" {
		return s
	}
	for _, p := range omkafkaPaths {
		if _, err := os.Stat(p); err == nil {
			return ""
		}
	}
	return "rsyslog's omkafka module not installed (apt-get install rsyslog-kafka)"
}

func (e *env) startFollowAgent(ctx context.Context, dir, file, broker, topic string) (*Proc, error) {
	return e.startAgent(ctx, agentSpec{id: "bench-rates-" + filepath.Base(dir), dir: dir, broker: broker,
		glob: file, topic: topic, pinned: true})
}

// startKcat runs `tail -F | kcat -P`, the shell one-liner the issue's
// operators use; both processes are in the measured process group.
func (e *env) startKcat(_ context.Context, dir, file, broker, topic string) (*Proc, error) {
	script := fmt.Sprintf("exec tail -n +1 -F %q | exec kcat -P -b %s -t %s -z snappy -X acks=all -X linger.ms=5",
		file, broker, topic)
	p, _, err := e.ch.start(procSpec{name: "kcat", bin: "/bin/sh", args: []string{"-c", script}, cpus: e.agentCPUs})
	return p, err
}

// endTail ends the tail feeding kcat, so kcat reads end of input and sends
// the lines its stdin buffer still holds.
func endTail(p *Proc) {
	for _, pid := range groupMembers(p.Pid()) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(comm)) == "tail" {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
}

// groupMembers lists the processes of process group pgid.
func groupMembers(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range ents {
		pid := 0
		if _, err := fmt.Sscanf(d.Name(), "%d", &pid); err != nil || pid == 0 {
			continue
		}
		if pg, err := processGroup(pid); err == nil && pg == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// startRsyslog runs rsyslogd in the foreground with imfile (inotify) →
// omkafka and a config of its own: no system sockets, no other outputs.
func (e *env) startRsyslog(_ context.Context, dir, file, broker, topic string) (*Proc, error) {
	work := filepath.Join(dir, "rsyslog")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "rsyslog.conf")
	body := fmt.Sprintf(`global(workDirectory=%q)
module(load="imfile" mode="inotify")
module(load="omkafka")
template(name="raw" type="string" string="%%msg%%")
input(type="imfile" File=%q Tag="bench" ruleset="kafka" freshStartTail="off" readMode="0")
ruleset(name="kafka") {
  action(type="omkafka" broker=[%q] topic=%q template="raw"
         confParam=["compression.codec=snappy", "request.required.acks=-1", "queue.buffering.max.ms=5"])
}
`, work, file, broker, topic)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return nil, err
	}
	p, _, err := e.ch.start(procSpec{name: "rsyslog", bin: "rsyslogd",
		args: []string{"-n", "-f", conf, "-i", filepath.Join(work, "rsyslogd.pid")}, cpus: e.agentCPUs})
	return p, err
}

// startNaive runs internal/cmd/naiveagent (bufio + sarama AsyncProducer, lz4).
func (e *env) startNaive(_ context.Context, dir, file, broker, topic string) (*Proc, error) {
	p, _, err := e.ch.start(procSpec{name: "naive-go", bin: e.bin("naiveagent"),
		args: []string{"-file", file, "-broker", broker, "-topic", topic},
		env:  []string{"GOMAXPROCS=1"}, cpus: e.agentCPUs})
	return p, err
}

// groupUsage is the CPU time and resident memory of a process group (a
// shipper and what it started, e.g. tail and kcat), summed over its
// members; anon is the anonymous part of rss (RssAnon: heap, stacks,
// runtime; not the pages of binaries and libraries).
func groupUsage(pgid int) (cpu time.Duration, rss, anon int64, err error) {
	found := false
	for _, pid := range groupMembers(pgid) {
		c, err1 := cpuTime(pid)
		m, err2 := statusKB(pid, "VmRSS", "RssAnon")
		if err1 != nil || err2 != nil {
			continue // exited meanwhile
		}
		cpu += c
		rss += m[0]
		anon += m[1]
		found = true
	}
	if !found {
		return 0, 0, 0, fmt.Errorf("process group %d is gone", pgid)
	}
	return cpu, rss, anon, nil
}
