package logagent

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Status is the JSON the agent keeps at /logagent/<agent-id>/status, bound to
// a lease so it disappears when the agent does: `etcdctl get` tells whether an
// edit took, which tasks run, how far each file is shipped, and which keys
// were refused and why.
type Status struct {
	Agent       string       `json:"agent"`
	Version     string       `json:"version"`
	Rev         int64        `json:"applied_revision"`
	FromCache   bool         `json:"from_cache"`
	KafkaReady  bool         `json:"kafka_ready"`
	Tasks       []TaskStatus `json:"tasks"`
	Rejected    []Rejection  `json:"rejected"`
	InflightB   int64        `json:"inflight_bytes"`
	UpdatedUnix int64        `json:"updated_unix"`
}

// TaskStatus is one task in Status.
type TaskStatus struct {
	Name  string       `json:"name"`
	Task  Task         `json:"task"`
	Files []FileStatus `json:"files"`
}

// statusWriter keeps the status key fresh: on every change it is told of and
// every interval, under a lease it re-grants if etcd lost it.
type statusWriter struct {
	cli      *clientv3.Client
	key      string
	ttl      time.Duration
	interval time.Duration
	build    func() Status
	log      *slog.Logger
	kick     chan struct{}
	once     sync.Once
}

func (s *statusWriter) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *statusWriter) run(ctx context.Context) {
	var lease clientv3.LeaseID
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
			st := s.build()
			st.UpdatedUnix = time.Now().Unix()
			b, _ := json.Marshal(st)
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := s.cli.Put(pctx, s.key, string(b), clientv3.WithLease(lease))
			if err == nil {
				_, err = s.cli.KeepAliveOnce(pctx, lease)
			}
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("status write failed", "key", s.key, "err", err)
				lease = 0
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
