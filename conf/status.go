package conf

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Rejection is an etcd value a daemon refused, with the reason. Both daemons
// publish theirs in their status key.
type Rejection struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// StatusPublisher keeps a daemon's status key fresh under a lease, so the key
// disappears when the daemon does: on every Poke and every interval it
// builds the status and writes it if it changed (etcd keeps every write
// until compaction, and every daemon shares it), keeps the lease alive
// either way, and re-grants the lease (and writes again) if etcd lost it.
type StatusPublisher struct {
	cli      *clientv3.Client
	key      string
	ttl      time.Duration
	interval time.Duration
	build    func() any
	log      *slog.Logger
	kick     chan struct{}
}

// NewStatusPublisher publishes build()'s JSON at key.
func NewStatusPublisher(cli *clientv3.Client, key string, ttl, interval time.Duration, build func() any, log *slog.Logger) *StatusPublisher {
	return &StatusPublisher{cli: cli, key: key, ttl: ttl, interval: interval, build: build, log: log, kick: make(chan struct{}, 1)}
}

// Poke asks for a write soon (after a reload, say); it never blocks.
func (s *StatusPublisher) Poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run publishes until ctx is done, then revokes the lease.
func (s *StatusPublisher) Run(ctx context.Context) {
	var lease clientv3.LeaseID
	var last []byte // what the key holds under lease: unchanged, it is not written again
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if lease == 0 {
			gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			resp, err := s.cli.Grant(gctx, int64(s.ttl.Seconds()))
			cancel()
			if err == nil {
				lease = resp.ID
			} else if ctx.Err() == nil {
				s.log.Warn("status lease grant failed", "err", err)
			}
		}
		if lease != 0 {
			b, err := json.Marshal(s.build())
			if err != nil {
				s.log.Error("status is not JSON", "err", err)
			}
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if !bytes.Equal(b, last) {
				_, err = s.cli.Put(pctx, s.key, string(b), clientv3.WithLease(lease))
			}
			if err == nil {
				_, err = s.cli.KeepAliveOnce(pctx, lease)
			}
			cancel()
			switch {
			case err == nil:
				last = b
			case ctx.Err() == nil:
				s.log.Warn("status write failed", "key", s.key, "err", err)
				lease, last = 0, nil
			}
		}
		select {
		case <-ctx.Done():
			if lease != 0 {
				rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				s.cli.Revoke(rctx, lease) // the agent is gone: so is its status
				cancel()
			}
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}
