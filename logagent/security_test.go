package logagent

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// canary is a password that must never appear in any output.
const canary = "canary-Pa55-7f3e9"

// TestSASLSCRAMAndNoSecretLeaks ships over SASL/SCRAM-SHA-256 and checks the
// password appears in no log line, status key or metric.
func TestSASLSCRAMAndNoSecretLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	e := &env{t: t, etcd: devstack.NewEtcd(t), logs: t.TempDir(), state: t.TempDir()}
	e.cli = devstack.NewEtcdClient(t, e.etcd)
	e.kafka = devstack.NewKafka(t, kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-256", "shipper", canary))
	cfg := e.config()
	cfg.Kafka.SASLMechanism, cfg.Kafka.SASLUsername, cfg.Kafka.SASLPassword = "SCRAM-SHA-256", "shipper", canary

	var logs lockedBuf
	// sarama's logger is process-global: capture it too, for this test only
	// (main_test.go routes it once for all tests).
	saramaLogs.to(&logs)
	t.Cleanup(func() { saramaLogs.to(nil) })
	e.putTask("agent-1", "s", Task{Path: join(e.logs, "*.log"), Topic: "secure"})
	a := e.startWithLog(cfg, &logs, slog.LevelDebug)
	want := writeLines(t, join(e.logs, "s.log"), "s", 0, 100)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.kafka.Addrs()...), kgo.ConsumeTopics("secure"),
		kgo.SASL(scram.Auth{User: "shipper", Pass: canary}.AsSha256Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]bool{}
	for len(got) < len(want) && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
	}
	for _, l := range want {
		if !got[l] {
			t.Fatalf("line missing over SASL: %q", l)
		}
	}
	st, _ := e.cli.Get(t.Context(), StatusKey("agent-1"))
	metrics := httpGet(t, "http://"+a.HTTPAddr()+"/metrics")
	for what, text := range map[string]string{"logs": logs.String(), "status key": st.Kvs[0].String(), "metrics": metrics} {
		if strings.Contains(text, canary) {
			t.Errorf("the Kafka password appears in the %s", what)
		}
	}
	if !strings.Contains(logs.String(), "connected to kafka") || !strings.Contains(logs.String(), "component=sarama") {
		t.Error("log capture lacks the agent's or sarama's lines: the leak check would prove nothing")
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
