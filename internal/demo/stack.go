package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/internal/mirror"
	"github.com/logpipe/logpipe/internal/ops"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/prometheus/client_golang/prometheus"
)

// Names the demo registers in etcd, as a user would.
const (
	AgentID    = "app-01"
	TransferID = "idc-01"
	TaskName   = "mg"
	RouteName  = "mg"
	Topic      = "mglogs"
	// IndexPattern matches the route's default index, mglogs-{yyyy.MM.dd}.
	IndexPattern = Topic + "-*"
	// stopTimeout bounds the daemons' own drain (10 s each, concurrently).
	stopTimeout = 30 * time.Second
	// kafkaBytesPerPartition bounds each partition of each cluster whatever
	// the rate, on disk (the records) and in memory (an index entry per
	// batch); kafkaSegmentBytes lets retention delete files in steps of 4 MiB.
	kafkaBytesPerPartition = 32 << 20
	kafkaSegmentBytes      = 4 << 20
	// etcdHistory is how long etcd keeps old revisions: the daemons rewrite
	// their status keys every status_interval.
	etcdHistory = 5 * time.Minute
	// pollEvery is how often the oracle reads what became searchable.
	pollEvery = 500 * time.Millisecond
)

// daemonINI is the ini file of one demo daemon (its own section first,
// then extra lines of it or more sections): defaults but for what points at
// the stack, and a status refresh short enough for logctl to look live.
const daemonINI = `; written by logstack; loaded by %[1]s.LoadConfig like the daemon's own file
[%[2]s]
id = %[3]s
state_dir = %[4]s
status_interval = 2s
status_ttl = 10s
%[5]s
[etcd]
endpoints = %[6]s

[kafka]
brokers = %[7]s

[http]
listen = 127.0.0.1:0

[log]
level = info
`

// stack is every component of the demo in one process: embedded etcd, the
// "cloud" and "idc" Kafka clusters, the mirror between them, the
// Elasticsearch-API stand-in, and the two daemons built from ini files.
type stack struct {
	dir, logDir, logPath string
	log                  *slog.Logger
	logSink              *logSink

	etcd        *devstack.Etcd
	cloud, idc  *devstack.Kafka
	es          *esdev.Server
	esURL       string
	writes      *writeLog
	clock       *clock
	oracle      *oracle
	agent       *logagent.Agent
	transfer    *logtransfer.Transfer
	mirror      *mirror.Mirror
	agentReg    *prometheus.Registry
	transferReg *prometheus.Registry
	mirrorReg   *prometheus.Registry

	mirrorOps *ops.Server
	// taskJSON and routeJSON are the values put into etcd.
	taskJSON, routeJSON string

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	runErrs []error
	undo    []func()
}

// startStack starts everything under dir and runs the daemons until stop.
// Daemon logs go to dir/logstack.log at info level. Both clusters and the
// stand-in keep what passed through them for o.Retain (the stand-in at most
// o.MaxDocs documents), and the oracle its per-line state.
func startStack(dir string, o Options) (s *stack, err error) {
	s = &stack{dir: dir, logDir: filepath.Join(dir, "logs"), logPath: filepath.Join(dir, "logstack.log"),
		log: slog.New(slog.DiscardHandler)}
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			_ = s.stop()
		}
	}()
	for _, d := range []string{s.logDir, filepath.Join(dir, "etcd"), filepath.Join(dir, "cloud"), filepath.Join(dir, "idc")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	f, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	s.logSink = &logSink{f: f}
	s.undo = append(s.undo, s.logSink.close)
	s.log = slog.New(slog.NewTextHandler(s.logSink, &slog.HandlerOptions{Level: slog.LevelInfo}))
	routeSarama.Do(func() { conf.SetupSarama(s.log) })

	if s.etcd, err = devstack.StartEtcd(filepath.Join(dir, "etcd"), devstack.AutoCompact(etcdHistory)); err != nil {
		return nil, err
	}
	s.undo = append(s.undo, s.etcd.Stop)
	keep := devstack.Retention{Age: o.Retain, BytesPerPartition: kafkaBytesPerPartition, SegmentBytes: kafkaSegmentBytes}
	if s.cloud, err = devstack.StartKafka(filepath.Join(dir, "cloud"), 1, keep.Opt()); err != nil {
		return nil, err
	}
	s.undo = append(s.undo, s.cloud.Stop)
	if s.idc, err = devstack.StartKafka(filepath.Join(dir, "idc"), 1, keep.Opt()); err != nil {
		return nil, err
	}
	s.undo = append(s.undo, s.idc.Stop)
	// Retention a quarter of the age late at most: a cluster keeps at most
	// 1.25 × Retain of records.
	every := min(max(o.Retain/4, 100*time.Millisecond), 5*time.Second)
	for _, k := range []*devstack.Kafka{s.cloud, s.idc} {
		s.goRun(ctx, "kafka retention", func(ctx context.Context) error { k.EnforceRetention(ctx, every); return nil })
	}
	if err = s.startES(esdev.Retention{MaxDocs: o.MaxDocs, MaxAge: o.Retain}, o.Retain); err != nil {
		return nil, err
	}
	s.goRun(ctx, "oracle", s.pollOracle)
	if err = s.startDaemons(ctx); err != nil {
		return nil, err
	}
	return s, s.register()
}

// pollOracle has the oracle read what became searchable every pollEvery until
// ctx is done, so that it can forget lines as it goes.
func (s *stack) pollOracle(ctx context.Context) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			// The next poll resumes where this one failed; drain's own poll
			// reports an error that lasts.
			if err := s.oracle.poll(ctx, s.esURL, s.indices()); err != nil && ctx.Err() == nil {
				s.log.Warn("checking documents", "err", err)
			}
		}
	}
}

// startES serves the Elasticsearch-API stand-in's handler on a port of its
// own, its refreshes timed by the latency clock, what its retention drops
// told to the oracle, which keeps lines for hold.
func (s *stack) startES(keep esdev.Retention, hold time.Duration) error {
	s.writes = &writeLog{}
	s.clock = newClock(s.writes)
	s.oracle = newOracle(hold, s.writes)
	s.es = esdev.New(esdev.WithLogger(s.log), esdev.WithOnRefresh(s.clock.observe), esdev.WithRetention(keep, s.oracle.expired))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the ES API: %w", err)
	}
	s.esURL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: s.es.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ES API stopped serving", "err", err)
		}
	}()
	s.undo = append(s.undo, func() { srv.Close(); <-served })
	return nil
}

// startDaemons writes the two ini files, loads them with the daemons' own
// loaders, and starts the daemons and the mirror, each as soon as it is
// built, so that stop can always end what was started.
func (s *stack) startDaemons(ctx context.Context) error {
	agentPath, transferPath := filepath.Join(s.dir, "logagent.ini"), filepath.Join(s.dir, "logtransfer.ini")
	ini := map[string]string{
		agentPath: fmt.Sprintf(daemonINI, "logagent", "agent", AgentID, filepath.Join(s.dir, "agent"),
			"allowed_paths = "+s.logDir+"\n", s.etcd.Endpoint(), strings.Join(s.cloud.Addrs(), ",")),
		transferPath: fmt.Sprintf(daemonINI, "logtransfer", "transfer", TransferID, filepath.Join(s.dir, "transfer"),
			"\n[elasticsearch]\nurls = "+s.esURL+"\n", s.etcd.Endpoint(), strings.Join(s.idc.Addrs(), ",")),
	}
	for path, body := range ini {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			return err
		}
	}
	acfg, err := logagent.LoadConfig(agentPath)
	if err != nil {
		return err
	}
	tcfg, err := logtransfer.LoadConfig(transferPath)
	if err != nil {
		return err
	}
	s.agentReg, s.transferReg, s.mirrorReg = ops.NewRegistry(), ops.NewRegistry(), prometheus.NewRegistry()
	if s.agent, err = logagent.New(acfg, s.log.With("daemon", "logagent"), s.agentReg, logagent.WithVersion("demo")); err != nil {
		return err
	}
	s.goRun(ctx, "logagent", s.agent.Run)
	if s.transfer, err = logtransfer.New(tcfg, s.log.With("daemon", "logtransfer"), s.transferReg, logtransfer.WithVersion("demo")); err != nil {
		return err
	}
	s.goRun(ctx, "logtransfer", s.transfer.Run)
	mcfg := mirror.DefaultConfig()
	mcfg.SourceBrokers, mcfg.TargetBrokers = s.cloud.Addrs(), s.idc.Addrs()
	if s.mirror, err = mirror.New(mcfg, s.log.With("daemon", "mirror"), s.mirrorReg); err != nil {
		return err
	}
	s.goRun(ctx, "mirror", s.mirror.Run)
	// The mirror has no daemon of its own: serve its metrics like one.
	if s.mirrorOps, err = ops.Listen("127.0.0.1:0", s.mirrorReg, func() error { return nil }, s.log); err != nil {
		return err
	}
	s.goRun(ctx, "mirror metrics", s.mirrorOps.Run)
	return nil
}

// register puts the collection task and the route into etcd with a plain
// client Put, the way `etcdctl put` would.
func (s *stack) register() error {
	task, err := json.Marshal(logagent.Task{Path: filepath.Join(s.logDir, "mg_*.log"), Topic: Topic})
	if err != nil {
		return err
	}
	route, err := json.Marshal(logtransfer.Route{Topic: Topic})
	if err != nil {
		return err
	}
	s.taskJSON, s.routeJSON = string(task), string(route)
	cli, err := s.etcd.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for key, val := range map[string][]byte{logagent.TaskKey(AgentID, TaskName): task, logtransfer.RouteKey(RouteName): route} {
		if _, err := cli.Put(ctx, key, string(val)); err != nil {
			return fmt.Errorf("registering %s: %w", key, err)
		}
	}
	return nil
}

// goRun runs one daemon until ctx ends, keeping its error for stop.
func (s *stack) goRun(ctx context.Context, name string, run func(context.Context) error) {
	s.wg.Go(func() {
		if err := run(ctx); err != nil {
			s.mu.Lock()
			s.runErrs = append(s.runErrs, fmt.Errorf("%s: %w", name, err))
			s.mu.Unlock()
		}
	})
}

// indices lists the demo's indices in the stand-in.
func (s *stack) indices() []string {
	var out []string
	for _, name := range s.es.Indices() {
		if ok, _ := path.Match(IndexPattern, name); ok {
			out = append(out, name)
		}
	}
	return out
}

// records counts the records of the demo's topic that both clusters keep.
func (s *stack) records() int64 {
	var n int64
	for _, k := range []*devstack.Kafka{s.cloud, s.idc} {
		if c := k.Cluster(); c != nil {
			for _, p := range c.PartitionInfos(Topic) {
				n += p.HighWatermark - p.LogStartOffset
			}
		}
	}
	return n
}

// ready returns nil once both daemons report ready.
func (s *stack) ready() error {
	return errors.Join(s.agent.Ready(), s.transfer.Ready())
}

// stop lets the daemons and the mirror drain and stop (bounded), then
// stops the infrastructure, and returns what the daemons reported.
func (s *stack) stop() error {
	var err error
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopTimeout):
		err = fmt.Errorf("daemons still running after %s", stopTimeout)
		s.log.Error("daemons did not stop in time", "timeout", stopTimeout)
	}
	s.mu.Lock()
	err = errors.Join(append(s.runErrs, err)...)
	s.mu.Unlock()
	s.close()
	return err
}

// close stops the infrastructure, last started first.
func (s *stack) close() {
	for i := len(s.undo) - 1; i >= 0; i-- {
		s.undo[i]()
	}
	s.undo = nil
}

// routeSarama sets sarama's process-globals once per process, as
// conf.SetupSarama asks: a second demo in one process (the tests) would
// race with the first one's brokers still closing in the background. Which
// demo's log it goes to does not matter: sarama logs at Debug, below the
// demo's Info.
var routeSarama sync.Once

// logSink is the daemons' log file. Once closed it drops writes: sarama's
// logger is process-wide and brokers it closes in the background may still
// log after the stack stopped.
//
// NOTE: resetting sarama.Logger at stop instead would race with them.
type logSink struct {
	mu sync.Mutex
	f  *os.File
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return len(p), nil
	}
	return l.f.Write(p)
}

func (l *logSink) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.Close()
	l.f = nil
}
