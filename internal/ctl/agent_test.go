package ctl

import (
	"context"
	"log/slog"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logagent"
)

// runAgent runs a real in-process agent id against the stack's etcd and k,
// with short intervals, after edit changes its configuration; it stops at
// cleanup and fails the test if Run failed.
func (s *stack) runAgent(id string, k *devstack.Kafka, edit func(*logagent.Config)) logagent.Config {
	t := s.t
	t.Helper()
	cfg := logagent.DefaultConfig()
	cfg.Agent.ID = id
	cfg.Agent.StateDir = t.TempDir()
	cfg.Agent.ScanFrequency = 100 * time.Millisecond
	cfg.Agent.StatusInterval = 200 * time.Millisecond
	cfg.Agent.ShutdownTimeout = 5 * time.Second
	cfg.Etcd.Endpoints = []string{s.etcd.Endpoint()}
	cfg.Etcd.DialTimeout = time.Second
	cfg.Kafka.Brokers = k.Addrs()
	cfg.Kafka.Linger = 5 * time.Millisecond
	cfg.HTTP.Listen = "127.0.0.1:0"
	if edit != nil {
		edit(&cfg)
	}
	a, err := logagent.New(cfg, slog.New(slog.DiscardHandler), ops.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	return cfg
}
