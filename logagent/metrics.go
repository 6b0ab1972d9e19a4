package logagent

import (
	"github.com/logpipe/logpipe/conf"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the agent's Prometheus series, all prefixed logagent_.
type Metrics struct {
	LinesRead      *prometheus.CounterVec
	BytesRead      *prometheus.CounterVec
	LinesProduced  *prometheus.CounterVec
	LinesAcked     *prometheus.CounterVec
	BytesAcked     *prometheus.CounterVec
	Failed         *prometheus.CounterVec
	Truncated      *prometheus.CounterVec
	Yields         *prometheus.CounterVec
	InflightBytes  prometheus.GaugeFunc
	FileLag        *prometheus.GaugeVec
	FileProblems   *prometheus.GaugeVec
	OpenFiles      prometheus.Gauge
	Tasks          prometheus.Gauge
	RejectedKeys   prometheus.Gauge
	Reloads        prometheus.Counter
	ProduceLatency prometheus.Histogram
	PositionSaves  *prometheus.CounterVec
	AnchorWrites   *prometheus.CounterVec
	TaskState      *prometheus.GaugeVec
	LostBytes      *prometheus.CounterVec
	LostLines      *prometheus.CounterVec
	inflight       func() float64
}

// NewMetrics registers the agent's metrics in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{inflight: func() float64 { return 0 }}
	task := []string{"task"}
	m.LinesRead = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_lines_read_total", Help: "Events cut from files."}, task)
	m.BytesRead = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_bytes_read_total", Help: "Bytes read from files."}, task)
	m.LinesProduced = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_lines_produced_total", Help: "Records handed to the Kafka producer."}, task)
	m.LinesAcked = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_lines_acked_total", Help: "Records acknowledged by Kafka."}, task)
	m.BytesAcked = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_bytes_acked_total", Help: "Record value bytes acknowledged by Kafka."}, task)
	m.Failed = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_lines_failed_total", Help: "Records Kafka refused, by reason (unavailable: retriable; refused: until an operator acts; too_large); each is re-sent, never dropped."}, []string{"task", "reason"})
	m.Truncated = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_lines_truncated_total", Help: "Events cut at max_line_bytes (flagged lp.truncated)."}, task)
	m.Yields = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_read_yields_total",
		Help: "Times a harvester found no room downstream (its task's share of the in-flight bytes, the agent's budget, a partition queue), gave back its read slot and buffers to wait, and then read the file again from the line it could not send."}, task)
	m.InflightBytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "logagent_inflight_bytes", Help: "Bytes read and not yet acked by Kafka."}, func() float64 { return m.inflight() })
	m.FileLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logagent_file_lag_bytes", Help: "File size minus acked offset."}, []string{"task", "path"})
	m.FileProblems = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logagent_file_problems", Help: "Matched files a task cannot ship (refused by allowed_paths, cannot be opened); the status key says why."}, []string{"task"})
	m.OpenFiles = prometheus.NewGauge(prometheus.GaugeOpts{Name: "logagent_open_files", Help: "Files being harvested."})
	m.Tasks = prometheus.NewGauge(prometheus.GaugeOpts{Name: "logagent_tasks", Help: "Tasks running."})
	m.RejectedKeys = prometheus.NewGauge(prometheus.GaugeOpts{Name: "logagent_rejected_keys", Help: "etcd keys whose current value was rejected."})
	m.Reloads = prometheus.NewCounter(prometheus.CounterOpts{Name: "logagent_reloads_total", Help: "Task sets applied from etcd."})
	m.ProduceLatency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "logagent_produce_latency_seconds", Help: "Time from reading a line to Kafka's ack of its record (budget waits and retries included).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)})
	m.PositionSaves = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_position_saves_total", Help: "Position registry writes, by result."}, []string{"result"})
	m.AnchorWrites = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_anchor_writes_total",
		Help: "Writes of anchors.json (time anchors of lines about to be sent, anchors.go), by result."}, []string{"result"})
	m.TaskState = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "logagent_task_state", Help: "1 for a task's current state (running, waiting, failing), 0 for the others; the status key says why."}, []string{"task", "state"})
	m.LostBytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_data_lost_bytes_total",
		Help: "Bytes of files lost before they were shipped, by reason (deleted, rotated_away, truncated; lost.go)."}, []string{"task", "reason"})
	m.LostLines = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "logagent_data_lost_lines_total",
		Help: "Lines lost before Kafka acked them, where known (read and sent, then the file deleted), by reason."}, []string{"task", "reason"})
	reg.MustRegister(m.LostBytes, m.LostLines, m.TaskState, m.LinesRead, m.BytesRead, m.LinesProduced, m.LinesAcked, m.BytesAcked, m.Failed, m.Truncated,
		m.Yields, m.InflightBytes, m.FileLag, m.FileProblems, m.OpenFiles, m.Tasks, m.RejectedKeys, m.Reloads, m.ProduceLatency, m.PositionSaves,
		m.AnchorWrites)
	return m
}

// taskMetrics are one task's series, resolved once: a label lookup per line
// would cost more than the rest of the line's bookkeeping.
type taskMetrics struct {
	task                                                 string
	read, bytesRead, produced, acked, bytesAcked, truncd prometheus.Counter
	yields                                               prometheus.Counter
	problems                                             prometheus.Gauge
}

func (m *Metrics) forTask(task string) *taskMetrics {
	return &taskMetrics{task: task,
		read: m.LinesRead.WithLabelValues(task), bytesRead: m.BytesRead.WithLabelValues(task),
		produced: m.LinesProduced.WithLabelValues(task), acked: m.LinesAcked.WithLabelValues(task),
		bytesAcked: m.BytesAcked.WithLabelValues(task), truncd: m.Truncated.WithLabelValues(task),
		yields: m.Yields.WithLabelValues(task), problems: m.FileProblems.WithLabelValues(task)}
}

// forgetTask deletes a stopped task's labelled series.
func (m *Metrics) forgetTask(task string) {
	l := prometheus.Labels{"task": task}
	for _, v := range []*prometheus.CounterVec{m.LinesRead, m.BytesRead, m.LinesProduced, m.LinesAcked, m.BytesAcked, m.Failed, m.Truncated, m.Yields, m.LostBytes, m.LostLines} {
		v.DeletePartialMatch(l)
	}
	m.FileLag.DeletePartialMatch(l)
	m.FileProblems.DeletePartialMatch(l)
	m.TaskState.DeletePartialMatch(l)
}

// taskState sets task's state series to running and returns the hook that
// moves it on a state change.
func (m *Metrics) taskState(task string) func(old, cur conf.State) {
	for _, st := range conf.States {
		m.TaskState.WithLabelValues(task, string(st)).Set(0)
	}
	m.TaskState.WithLabelValues(task, string(conf.StateRunning)).Set(1)
	return func(old, cur conf.State) {
		m.TaskState.WithLabelValues(task, string(old)).Set(0)
		m.TaskState.WithLabelValues(task, string(cur)).Set(1)
	}
}
