package logagent

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// BenchmarkShipFile ships a pre-written file of realistic ~250-byte lines to
// an in-process Kafka-protocol broker and reports lines/s and heap. The
// broker shares the process (and its CPU), so this understates the agent
// alone; `make bench` measures it in separate processes.
func BenchmarkShipFile(b *testing.B) {
	for _, idem := range []bool{false, true} {
		b.Run(fmt.Sprintf("idempotent=%v", idem), func(b *testing.B) { benchShipFile(b, idem) })
	}
}

func benchShipFile(b *testing.B, idempotent bool) {
	const lines = 200_000
	etcd, err := devstack.StartEtcd(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer etcd.Stop()
	cli, err := etcd.Client()
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	kafka, err := devstack.StartKafka(b.TempDir(), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer kafka.Stop()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		writeBenchFile(b, dir+"/access.log", lines)
		topic := fmt.Sprintf("bench%d", i)
		cfg := DefaultConfig()
		cfg.Agent.ID = "bench"
		cfg.Agent.StateDir = b.TempDir()
		cfg.Etcd.Endpoints = []string{etcd.Endpoint()}
		cfg.Kafka.Brokers = kafka.Addrs()
		cfg.Kafka.Idempotent = idempotent
		cfg.HTTP.Listen = ""
		a, err := New(cfg, slog.New(slog.DiscardHandler), ops.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cli.Put(context.Background(), TaskKey("bench", "t"), `{"path":"`+dir+`/*.log","topic":"`+topic+`"}`); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		b.StartTimer()
		start := time.Now()
		go func() { done <- a.Run(ctx) }()
		var peak uint64
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			if acked := testutilCounter(a.metrics, "t"); acked >= lines {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		el := time.Since(start)
		b.StopTimer()
		cancel()
		<-done
		b.ReportMetric(float64(lines)/el.Seconds(), "lines/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

func testutilCounter(m *Metrics, task string) float64 {
	c, err := m.LinesAcked.GetMetricWithLabelValues(task)
	if err != nil {
		return 0
	}
	var out dtoMetric
	_ = c.Write(&out.m)
	return out.m.GetCounter().GetValue()
}

func writeBenchFile(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `10.%d.%d.%d - - [23/Jun/2020:18:%02d:%02d +0800] "GET /api/v1/goods/%d?channel=app&uid=%d HTTP/1.1" 200 %d "-" "Mozilla/5.0 (iPhone; CPU iPhone OS 13_5 like Mac OS X) AppleWebKit/605.1.15" rt=0.%03d`+"\n",
			i%250, i%199, i%97, i%60, i%60, i, i*31, 500+i%3000, i%1000)
	}
	w.Flush()
	f.Close()
}

type dtoMetric struct{ m dto.Metric }

func gaugeValue(g interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	_ = g.Write(&m)
	return m.GetGauge().GetValue()
}

func testutilCounter2(v *prometheus.CounterVec, task string) float64 {
	var m dto.Metric
	_ = v.WithLabelValues(task).Write(&m)
	return m.GetCounter().GetValue()
}
