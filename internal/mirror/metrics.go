package mirror

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the mirror's Prometheus series, all prefixed mirror_.
type Metrics struct {
	Fetched  *prometheus.CounterVec
	Mirrored *prometheus.CounterVec
	Bytes    *prometheus.CounterVec
	Retries  prometheus.Counter
	Commits  *prometheus.CounterVec
}

// NewMetrics registers the mirror's metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	topic := []string{"topic"}
	m := &Metrics{
		Fetched: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirror_records_fetched_total",
			Help: "Records polled from the source cluster."}, topic),
		Mirrored: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirror_records_total",
			Help: "Records the target cluster acknowledged (replays after a retry or restart count again)."}, topic),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirror_bytes_total",
			Help: "Key and value bytes the target cluster acknowledged."}, topic),
		Retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "mirror_batch_retries_total",
			Help: "Batches produced again after the target failed some of their records."}),
		Commits: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mirror_offset_commits_total",
			Help: "Source offset commits after an acknowledged batch, by result."}, []string{"result"}),
	}
	reg.MustRegister(m.Fetched, m.Mirrored, m.Bytes, m.Retries, m.Commits)
	return m
}
