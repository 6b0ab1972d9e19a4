package logtransfer

import (
	"github.com/logpipe/logpipe/conf"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the transfer daemon's Prometheus series, all prefixed
// logtransfer_.
type Metrics struct {
	Consumed      *prometheus.CounterVec
	Created       *prometheus.CounterVec
	Duplicates    *prometheus.CounterVec
	Retried       *prometheus.CounterVec
	Stalled       *prometheus.CounterVec
	RouteState    *prometheus.GaugeVec
	DeadLettered  *prometheus.CounterVec
	BulkRequests  *prometheus.CounterVec
	BulkLatency   prometheus.Histogram
	BulkDocs      prometheus.Histogram
	BulkBytes     prometheus.Histogram
	IndexLatency  prometheus.Histogram
	InflightBytes prometheus.GaugeFunc
	Lag           *prometheus.GaugeVec
	RetentionUsed *prometheus.GaugeVec
	Routes        prometheus.Gauge
	RejectedKeys  prometheus.Gauge
	Reloads       prometheus.Counter
	Commits       *prometheus.CounterVec
	inflight      func() float64
}

// NewMetrics registers the daemon's metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{inflight: func() float64 { return 0 }}
	route := []string{"route"}
	counter := func(name, help string, labels []string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logtransfer_" + name, Help: help}, labels)
	}
	m.Consumed = counter("records_consumed_total", "Records read from Kafka.", route)
	m.Created = counter("documents_created_total", "Documents Elasticsearch created.", route)
	m.Duplicates = counter("documents_duplicate_total", "Items answered 409: the document already existed (a re-delivery).", route)
	m.Retried = counter("documents_retried_total", "Items sent again after a 429, 5xx, timeout or connection error, by reason.", []string{"route", "reason"})
	m.Stalled = counter("documents_stalled_total", "Sends refused by the index itself (blocked, closed, missing): held by their route and sent again once a probe gets through.", route)
	m.RouteState = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logtransfer_route_state",
		Help: "1 for the state each route is in (running, waiting, failing), 0 for the others."}, []string{"route", "state"})
	m.DeadLettered = counter("documents_dead_lettered_total", "Records Elasticsearch refused (400) and that went to <topic>.dlq.", route)
	m.BulkRequests = counter("bulk_requests_total", "Bulk requests, by result (ok, error).", []string{"result"})
	m.Commits = counter("offset_commits_total", "Offset commits, by result.", []string{"result"})
	m.BulkLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "logtransfer_bulk_duration_seconds",
		Help: "Duration of one bulk request.", Buckets: prometheus.ExponentialBuckets(0.002, 2, 14)})
	m.BulkDocs = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "logtransfer_bulk_documents",
		Help: "Documents per bulk request.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)})
	m.BulkBytes = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "logtransfer_bulk_bytes",
		Help: "Body bytes per bulk request.", Buckets: prometheus.ExponentialBuckets(1024, 4, 9)})
	m.IndexLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "logtransfer_write_to_index_seconds",
		Help: "Time from a line's lp.ts (its read time, up to a second earlier: the agent's time anchor) to Elasticsearch creating its document.",
		// Fine steps between 10 ms and ~20 s so a p99 read off the buckets
		// means something against the 2 s and 10 s budgets.
		Buckets: prometheus.ExponentialBuckets(0.01, 1.25, 35)})
	m.InflightBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "logtransfer_inflight_bytes",
		Help: "Bytes consumed and not yet accepted by Elasticsearch."}, func() float64 { return m.inflight() })
	m.Lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logtransfer_consumer_lag",
		Help: "High water mark minus the next offset to consume, per owned partition."}, []string{"route", "partition"})
	m.RetentionUsed = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logtransfer_partition_retention_used_ratio",
		Help: "Age of the oldest record not yet indexed over the topic's retention.ms, per owned partition: at 1 Kafka deletes records never indexed."}, []string{"route", "partition"})
	m.Routes = prometheus.NewGauge(prometheus.GaugeOpts{Name: "logtransfer_routes", Help: "Routes running."})
	m.RejectedKeys = prometheus.NewGauge(prometheus.GaugeOpts{Name: "logtransfer_rejected_keys", Help: "etcd keys whose current value was rejected."})
	m.Reloads = prometheus.NewCounter(prometheus.CounterOpts{Name: "logtransfer_reloads_total", Help: "Route sets applied from etcd."})
	reg.MustRegister(m.Consumed, m.Created, m.Duplicates, m.Retried, m.Stalled, m.RouteState, m.DeadLettered, m.BulkRequests, m.Commits,
		m.BulkLatency, m.BulkDocs, m.BulkBytes, m.IndexLatency, m.InflightBytes, m.Lag, m.RetentionUsed, m.Routes, m.RejectedKeys, m.Reloads)
	return m
}

// forgetRoute deletes a stopped route's labelled series.
func (m *Metrics) forgetRoute(route string) {
	l := prometheus.Labels{"route": route}
	for _, v := range []*prometheus.CounterVec{m.Consumed, m.Created, m.Duplicates, m.Retried, m.Stalled, m.DeadLettered} {
		v.DeletePartialMatch(l)
	}
	m.Lag.DeletePartialMatch(l)
	m.RetentionUsed.DeletePartialMatch(l)
}

// routeState moves route's state gauge from old to cur (old empty: the
// route starts).
func (m *Metrics) routeState(route string, old, cur conf.State) {
	if old == "" {
		for _, s := range conf.States {
			m.RouteState.WithLabelValues(route, string(s)).Set(0)
		}
	} else {
		m.RouteState.WithLabelValues(route, string(old)).Set(0)
	}
	m.RouteState.WithLabelValues(route, string(cur)).Set(1)
}
