package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// codecs are the producer compressions the codecs scenario compares.
var codecs = []string{"none", "snappy", "lz4", "zstd"}

func codecFigures() []string {
	var out []string
	for _, c := range codecs {
		out = append(out, "agent_cpu_s_per_mline_"+c, "wire_bytes_per_line_"+c, "broker_cpu_s_per_mline_"+c)
	}
	return out
}

// codecsScenario ships the same pre-written file once per codec, each with a
// fresh broker, and measures what the choice costs where: the agent's CPU
// (the app server's, which the brief protects), the bytes the broker
// received (what crosses the network from the app server, read from the
// broker's /proc/<pid>/io rchar) and the broker's CPU per million lines.
//
// NOTE: the stand-in broker (kfake) stores batches as it gets them; it does
// not recompress to a topic's compression.type as a real broker does, so
// "compress at the topic" is measured here as codec=none at the agent; a
// real broker then pays the codec's compression cost, about what the agent
// pays for it here (same algorithms), on the cloud cluster instead of the
// app servers.
func (e *env) codecsScenario(ctx context.Context, r *report) error {
	n := e.opts.Lines / 4
	for _, c := range codecs {
		st, err := e.newStage("codecs-" + c)
		if err != nil {
			return err
		}
		res, err := e.shipFile(ctx, st, c, n)
		st.broker.stop()
		if err != nil {
			return fmt.Errorf("codec %s: %w", c, err)
		}
		ml := float64(n) / 1e6
		r.add("agent_cpu_s_per_mline_"+c, res.agentCPUPerMline, none)
		r.add("wire_bytes_per_line_"+c, float64(res.wire)/float64(n), none)
		r.add("broker_cpu_s_per_mline_"+c, res.brokerCPU.Seconds()/ml, none)
		e.logf("codecs: %-6s agent %.2f CPU-s/Mline, %.0f B/line on the wire (file %d B/line), broker %.2f CPU-s/Mline",
			c, res.agentCPUPerMline, float64(res.wire)/float64(n), res.fileSize/int64(n), res.brokerCPU.Seconds()/ml)
	}
	r.note("codecs: %d lines per codec, agent pinned to one core, acks=all; wire bytes = what the broker process read (rchar), headers and protocol included", n)
	return nil
}

// shipResult is one shipFile run.
type shipResult struct {
	agentCPUPerMline float64 // after the first tenth (waitShipped)
	brokerCPU        time.Duration
	wire, fileSize   int64
}

// shipFile writes n lines, has the agent ship them with codec, and returns
// the agent's and the broker's CPU and the bytes the broker read meanwhile.
func (e *env) shipFile(ctx context.Context, st *stage, codec string, n int) (shipResult, error) {
	var res shipResult
	size, err := writeLines(filepath.Join(st.logs, "app.log"), n)
	if err != nil {
		return res, err
	}
	res.fileSize = size
	cl, err := st.broker.client()
	if err != nil {
		return res, err
	}
	defer cl.Close()
	bpid := st.broker.proc.Pid()
	bcpu0, err1 := cpuTime(bpid)
	rchar0, err2 := readChars(bpid)
	if err := firstErr(err1, err2); err != nil {
		return res, err
	}
	topic := "bench-codec-" + codec
	agent, err := e.startAgent(ctx, agentSpec{id: "bench-codec-" + codec, dir: st.dir, broker: st.broker.Addr,
		glob: filepath.Join(st.logs, "*.log"), topic: topic, pinned: true, compression: codec})
	if err != nil {
		return res, err
	}
	defer agent.Stop(15 * time.Second)
	s, err := waitShipped(ctx, cl, topic, int64(n), time.Now(), agent, st.broker.proc)
	if err != nil {
		return res, err
	}
	bcpu1, err2 := cpuTime(bpid)
	rchar1, err3 := readChars(bpid)
	if err := firstErr(err2, err3); err != nil {
		return res, err
	}
	res.agentCPUPerMline, res.brokerCPU, res.wire = s.cpuPerMline(), bcpu1-bcpu0, rchar1-rchar0
	return res, nil
}

// readChars is the bytes a process has read through read(2) and the like
// (/proc/<pid>/io rchar): for the broker, nearly all of it is what clients
// sent it.
func readChars(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/io: no rchar", pid)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
