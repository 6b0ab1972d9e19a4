package logtransfer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/olivere/elastic/v7"
	"github.com/prometheus/client_golang/prometheus"
)

// bulkSink answers every _bulk item "created", to measure the client side
// (document building, batching, request encoding, response parsing).
func bulkSink() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n := strings.Count(string(body), "\n") / 2
		var b strings.Builder
		b.WriteString(`{"took":1,"errors":false,"items":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"create":{"_index":"x","_id":"1","status":201,"result":"created"}}`)
		}
		b.WriteString("]}")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, b.String())
	}))
}

// BenchmarkIndexer pushes agent-style records through the sink and
// indexer into a bulk endpoint answering created, and reports docs/s.
func BenchmarkIndexer(b *testing.B) {
	srv := bulkSink()
	defer srv.Close()
	cfg := conf.DefaultElasticsearch()
	cfg.URLs = []string{srv.URL}
	es, err := elastic.NewClient(elastic.SetURL(srv.URL), elastic.SetSniff(false), elastic.SetHealthcheck(false))
	if err != nil {
		b.Fatal(err)
	}
	m := NewMetrics(prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ix := newIndexer(es, cfg, m)
	go ix.run(ctx)
	s := &sink{ctx: ctx, ix: ix, budget: newBudget(DefaultMaxInflightBytes), metrics: m}
	l := s.lane("bench", conf.NewCondition(slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler))
	db, _ := newDocBuilder(Route{Topic: "bench"}.WithDefaults(), time.UTC)
	hdr := func(k, v string) *sarama.RecordHeader { return &sarama.RecordHeader{Key: []byte(k), Value: []byte(v)} }
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		msg := &sarama.ConsumerMessage{Topic: "bench", Partition: 0, Offset: int64(i), Timestamp: start,
			Value: fmt.Appendf(nil, "2024-03-05 16:09:59 INFO request id=%d GET /api/v1/items/%d 200 12ms", i, i),
			Headers: []*sarama.RecordHeader{hdr(hdrID, fmt.Sprintf("f1-%d", i*90)), hdr(hdrHost, "web-01"),
				hdr(hdrPath, "/var/log/app.log"), hdr(hdrTS, fmt.Sprint(start.UnixMilli()))}}
		wg.Add(1)
		if err := l.submit(ctx, db, msg, func(outcome) { wg.Done() }); err != nil {
			b.Fatal(err)
		}
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "docs/s")
}
