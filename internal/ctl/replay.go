package ctl

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/logpipe/logpipe/logtransfer"
)

func runReplay(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl replay", "-route NAME -from T1 -to T2 [-brokers LIST] [-config logtransfer.ini]",
		"Re-indexes the route's records with timestamps in [T1, T2] (RFC 3339) with logtransfer's\n"+
			"own rules and ids (logtransfer.Replay): documents already indexed count as duplicates, so\n"+
			"replaying an indexed window adds nothing. -brokers reads another cluster (e.g. the cloud\n"+
			"one). With a logtransfer ini as -config, its [transfer] settings apply too; flags and\n"+
			"LOGPIPE_* override the file's connection settings. Progress goes to stderr, the summary\n"+
			"line to stdout. It commits no consumer-group offsets.")
	route := fs.String("route", "", "route name in etcd (required unless -route-json)")
	routeJSON := fs.String("route-json", "", "the route as JSON, instead of reading etcd")
	from := fs.String("from", "", "start of the window, RFC 3339 (required)")
	to := fs.String("to", "", "end of the window, RFC 3339 (required)")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	// NOTE: Replay writes progress from one goroutine per partition, and
	// its log goes to the same place: stderr must take concurrent writes.
	stderr := &lockedWriter{w: c.stderr}
	opts := logtransfer.ReplayOptions{Route: *route, RouteJSON: *routeJSON, Progress: stderr}
	var err error
	if opts.From, err = time.Parse(time.RFC3339, *from); err != nil {
		return usagef(fs, "-from: want RFC 3339 such as 2020-06-23T18:00:00+08:00: %v", err)
	}
	if opts.To, err = time.Parse(time.RFC3339, *to); err != nil {
		return usagef(fs, "-to: want RFC 3339 such as 2020-06-23T19:00:00+08:00: %v", err)
	}
	if *route == "" && *routeJSON == "" {
		return usagef(fs, "replay: -route or -route-json is required")
	}
	cfg := logtransfer.DefaultConfig()
	if c.conns.Transfer != nil {
		cfg = *c.conns.Transfer
	} else {
		// NOTE: the state dir only remembers which template hashes were
		// written; away from a logtransfer host a scratch one is right
		// (the daemon's own default, /var/lib/logtransfer, is not ours).
		dir, err := os.MkdirTemp("", "logctl-replay-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.Transfer.StateDir = dir
	}
	cfg.Etcd, cfg.Kafka, cfg.Elasticsearch = c.conns.Etcd, c.conns.Kafka, c.conns.ES
	if c.conns.Path == "" {
		cfg.Etcd.DialTimeout = c.g.timeout
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("mode", "replay")
	res, err := logtransfer.Replay(ctx, cfg, opts, log)
	fmt.Fprintln(c.stdout, res)
	return err
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
