//go:build linux

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
)

// indexedDoc is one document of an input topic's indices, reduced to what
// the bad-input rows compare.
type indexedDoc struct {
	id, path, message string
	truncated         bool
	header            map[string]string // the headers of its record in the cloud topic
}

// readDocs reads the cloud topic until want distinct record ids were seen
// (or the deadline), then looks each id up in the topic's indices. The
// stand-in has no scan API and every document comes from a record, so the
// record ids name every document there can be; stray reports how many
// documents of the indices none of them names (it must be zero).
func readDocs(ctx context.Context, brokers []string, es *esdev.Server, topic string, want int) (docs []indexedDoc, stray int, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	recs, err := devstack.ReadUntil(ctx, brokers, topic, func(rs []devstack.Record) bool {
		ids := map[string]bool{}
		for _, r := range rs {
			ids[r.Headers["lp.id"]] = true
		}
		return len(ids) >= want
	})
	seen := map[string]bool{}
	var indices []string
	for _, ix := range es.Indices() {
		if strings.HasPrefix(ix, topic+"-") {
			indices = append(indices, ix)
		}
	}
	for _, r := range recs {
		id := r.Headers["lp.id"]
		if seen[id] {
			continue
		}
		seen[id] = true
		for _, ix := range indices {
			src, ok := es.Doc(ix, id)
			if !ok {
				continue
			}
			d := indexedDoc{id: id, header: r.Headers}
			d.message, _ = src["message"].(string)
			if lg, ok := src["log"].(map[string]any); ok {
				if f, ok := lg["file"].(map[string]any); ok {
					d.path, _ = f["path"].(string)
				}
			}
			if lp, ok := src["lp"].(map[string]any); ok {
				d.truncated, _ = lp["truncated"].(bool)
			}
			docs = append(docs, d)
		}
	}
	return docs, es.Count(topic+"-*") - len(docs), err
}

// pidOf is the running process of a daemon (0 when none).
func pidOf(d *daemon) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// openFDs counts the open file descriptors of a process.
func openFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

// cpuSeconds is the user+system CPU time a process used so far.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// listenAddr finds the TCP port a process listens on (a daemon started
// with listen = 127.0.0.1:0 has exactly one: its /metrics server), from
// its socket descriptors and the kernel's table of TCP sockets.
func listenAddr(pid int) (string, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return "", err
	}
	socks := map[string]bool{}
	for _, e := range ents {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, e.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			socks[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fl := strings.Fields(sc.Text())
		if len(fl) < 10 || fl[3] != "0A" || !socks[fl[9]] {
			continue
		}
		_, hexPort, _ := strings.Cut(fl[1], ":")
		port, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil {
			continue
		}
		return fmt.Sprintf("127.0.0.1:%d", port), nil
	}
	return "", fmt.Errorf("process %d listens on no TCP port", pid)
}

// scrape returns a daemon's /metrics text.
func scrape(addr string) (string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// metricValue finds one series (name with its labels, as printed) in a
// /metrics text; ok=false when absent.
func metricValue(text, series string) (float64, bool) {
	for line := range strings.SplitSeq(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}
