package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Sizes of the files scenario.
const (
	statusFiles  = 100       // files followed while the status key is watched
	midlineFiles = 500       // files left mid-way through a long line
	midlineBytes = 256 << 10 // the unterminated line of each
)

// files measures what many files cost the agent besides CPU. Phase one: the
// agent follows statusFiles files, each growing by a line a second, for
// Duration, while the harness watches the agent's status key: the etcd
// bytes it writes per minute (etcd keeps every write until compaction and is
// shared by every agent). Phase two: midlineFiles more files each stop
// mid-way through a midlineBytes line, as a writer that flushes half a
// stack trace leaves them: the agent's peak RSS while it holds them.
func (e *env) files(ctx context.Context, r *report) error {
	st, err := e.newStage("files")
	if err != nil {
		return err
	}
	defer st.broker.stop()
	cl, err := st.broker.client()
	if err != nil {
		return err
	}
	defer cl.Close()
	const topic, id = "bench-files", "bench-files"
	grow, stopGrow := e.growFiles(ctx, st.logs)
	defer stopGrow()
	agent, err := e.startAgent(ctx, agentSpec{id: id, dir: st.dir, broker: st.broker.Addr,
		glob: filepath.Join(st.logs, "*.log"), topic: topic, pinned: true})
	if err != nil {
		return err
	}
	defer agent.Stop(15 * time.Second)
	err = waitUntil(ctx, time.Minute, 100*time.Millisecond, "the first line of every file", func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n >= statusFiles, err
	}, agent, st.broker.proc)
	if err != nil {
		return err
	}

	// Phase one: etcd bytes written for the status key.
	e.logf("files: watching the status key of an agent following %d growing files for %s", statusFiles, e.opts.Duration)
	wctx, cancel := context.WithCancel(ctx)
	var puts, bytes atomic.Int64
	wch := e.cli.Watch(wctx, e.opts.StatusKey(id))
	go func() {
		for resp := range wch {
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypePut {
					puts.Add(1)
					bytes.Add(int64(len(ev.Kv.Key) + len(ev.Kv.Value)))
				}
			}
		}
	}()
	err = sleep(ctx, e.opts.Duration)
	cancel()
	if err != nil {
		return err
	}
	perMin := float64(bytes.Load()) / e.opts.Duration.Minutes() / 1024
	r.add("etcd_kb_per_agent_min_100_files", perMin, atMost(32))
	resp, err := e.cli.Get(ctx, e.opts.StatusKey(id))
	if err == nil && len(resp.Kvs) == 1 {
		r.note("files: status key of an agent following %d growing files: %d bytes, written %d times in %s (%d lines appended meanwhile)",
			statusFiles, len(resp.Kvs[0].Value), puts.Load(), e.opts.Duration, grow.Load())
	}
	if err := stopGrow(); err != nil {
		return err
	}

	// Phase two: files stopped mid-way through long lines.
	e.logf("files: %d files stop mid-way through %d KiB lines", midlineFiles, midlineBytes>>10)
	rss := watchRSS(agent.Pid())
	line := strings.Repeat("x", midlineBytes)
	for i := range midlineFiles {
		body := fmt.Sprintf("midline %04d first line\nmidline %04d %s", i, i, line)
		if err := os.WriteFile(filepath.Join(st.logs, fmt.Sprintf("mid-%04d.log", i)), []byte(body), 0o644); err != nil {
			return err
		}
	}
	err = waitUntil(ctx, time.Minute, 100*time.Millisecond, "the first line of every mid-line file", func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n >= grow.Load()+midlineFiles, err
	}, agent, st.broker.proc)
	if err != nil {
		return err
	}
	if err := sleep(ctx, e.opts.Duration); err != nil { // the harvesters read to the end and wait
		return err
	}
	peak := rss.stop()
	r.add("agent_rss_mb_midline_500_files", mb(peak), atMost(64))
	r.note("files: %d files each stopped mid-way through a %d KiB line (%d MiB unterminated in all): agent peak RSS %.1f MB",
		midlineFiles, midlineBytes>>10, midlineFiles*midlineBytes>>20, mb(peak))
	return nil
}

// growFiles appends a line a second to each of statusFiles files in dir
// until stop, which returns the first write error; grown counts the lines.
func (e *env) growFiles(ctx context.Context, dir string) (grown *atomic.Int64, stop func() error) {
	grown = new(atomic.Int64)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			for i := range statusFiles {
				f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("app-%03d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
				if err == nil {
					_, err = fmt.Fprintf(f, "file=%03d seq=%06d GET /api/v1/items 200\n", i, seq)
					f.Close()
				}
				if err != nil {
					done <- err
					return
				}
				grown.Add(1)
			}
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-tick.C:
			}
		}
	}()
	var err error
	var once atomic.Bool
	return grown, func() error {
		if once.CompareAndSwap(false, true) {
			cancel()
			err = <-done
		}
		return err
	}
}
