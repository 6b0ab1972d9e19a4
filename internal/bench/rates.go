package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// paceRates are the paced scenario's write rates in lines per second: the
// brief's per-server average (3 billion lines a day over 20 servers), its
// per-server peak, and one host taking the whole 35k.
var paceRates = []int{1_750, 7_000, 35_000}

// paceTargets are logagent's bounds at each rate: CPU share of one core in
// percent, peak RSS in MB (0: informative) and write-to-Kafka p99 in ms.
var paceTargets = map[int]struct{ cpu, rss, p99 float64 }{
	1_750:  {cpu: 1.0, p99: 250},
	7_000:  {cpu: 2.0, rss: 25, p99: 250},
	35_000: {cpu: 5.0, rss: 30, p99: 250},
}

// paceFigures are the figures the paced scenario always records.
func paceFigures() []string {
	var out []string
	for _, r := range paceRates {
		out = append(out, fmt.Sprintf("agent_cpu_pct_at_%d", r), fmt.Sprintf("agent_rss_mb_at_%d", r), fmt.Sprintf("agent_rss_anon_mb_at_%d", r),
			fmt.Sprintf("agent_p99_ms_at_%d", r), fmt.Sprintf("agent_cpu_vs_peers_at_%d", r))
	}
	return out
}

// paced has logagent and each installed peer follow a file that an
// application-like writer appends to at each rate (one write call per line,
// lines stamped with their write time), one shipper at a time, each pinned
// to the same core with the broker on the other. It measures each one's
// CPU share and peak RSS (summed over its process group: tail + kcat count
// together) over opts.Duration once it keeps up, and the write-to-Kafka
// latency (a consumer in the harness receiving the record − the stamp).
func (e *env) paced(ctx context.Context, r *report) error {
	for _, s := range shippers {
		if why := s.skip(); why != "" {
			r.note("paced: peer %s skipped: %s", s.name, why)
		}
	}
	rates := paceRates
	if len(e.opts.Rates) > 0 {
		rates = e.opts.Rates
	}
	// The harness's writer, consumer, etcd and GC would otherwise share the
	// shipper's core whenever the scheduler put them there, and each of
	// their wake-ups (a burst of writes every 10 ms) cost the shipper a
	// context switch and its caches. Interleaved runs, 35,000 lines/s:
	// logagent 8.9-10.3 -> 7.7-8.0 %, kcat 13.0-14.3 -> 14.0-15.9 % (noise);
	// 7,000: logagent 2.33-2.40 -> 2.20 %.
	restore, err := pinHarness(e.otherCPUs)
	if err != nil {
		return err
	}
	defer restore()
	for _, rate := range rates {
		st, err := e.newStage(fmt.Sprintf("paced-%d", rate))
		if err != nil {
			return err
		}
		got := map[string]paceResult{}
		for _, s := range shippers {
			if s.skip() != "" || (len(e.opts.Shippers) > 0 && !slices.Contains(e.opts.Shippers, s.name)) ||
				(e.opts.Files > 1 && s.name != "logagent") {
				continue
			}
			res, err := e.pace(ctx, r, st, s, rate)
			if err != nil {
				st.broker.stop()
				return fmt.Errorf("%s at %d lines/s: %w", s.name, rate, err)
			}
			got[s.name] = res
			e.logf("paced: %-8s at %6d lines/s: CPU %5.2f %%, peak RSS %5.1f MB, p99 %4.0f ms",
				s.name, rate, res.cpuPct, mb(res.peakRSS), res.p99)
		}
		st.broker.stop()
		e.reportPace(r, rate, got)
	}
	writes := "one write(2) per line"
	if e.opts.TickWrites {
		writes = "one write(2) per 10 ms tick (-tick-writes: not how applications log)"
	}
	r.note("paced: writer = %s, lines due every 10 ms, in the harness, which runs on the broker's core(s); CPU share = (utime+stime of the shipper's process group) / wall time of the measurement; peers at their defaults but acks=all: kcat `tail -F | kcat -P -z snappy`, rsyslog imfile (inotify) → omkafka snappy, naive-go = bufio + sarama AsyncProducer lz4 (internal/cmd/naiveagent)", writes)
	return nil
}

// paceResult is one shipper at one rate.
type paceResult struct {
	cpuPct  float64
	peakRSS int64
	// peakAnon is the peak of RSS's anonymous part: what the shipper
	// allocated, without its binary's and libraries' pages.
	peakAnon int64
	p99      float64
}

func (e *env) reportPace(r *report, rate int, got map[string]paceResult) {
	tg := paceTargets[rate] // a rate given with -rates only: informative
	bound := func(v float64) target {
		if v > 0 {
			return atMost(v)
		}
		return none
	}
	a := got["logagent"]
	r.add(fmt.Sprintf("agent_cpu_pct_at_%d", rate), a.cpuPct, bound(tg.cpu))
	r.add(fmt.Sprintf("agent_rss_mb_at_%d", rate), mb(a.peakRSS), bound(tg.rss))
	r.add(fmt.Sprintf("agent_rss_anon_mb_at_%d", rate), mb(a.peakAnon), none)
	r.add(fmt.Sprintf("agent_p99_ms_at_%d", rate), a.p99, bound(tg.p99))
	best, bestName := math.Inf(1), ""
	for _, s := range shippers[1:] {
		p, ok := got[s.name]
		if !ok {
			continue
		}
		r.add(fmt.Sprintf("%s_cpu_pct_at_%d", s.name, rate), p.cpuPct, none)
		r.add(fmt.Sprintf("%s_rss_mb_at_%d", s.name, rate), mb(p.peakRSS), none)
		r.add(fmt.Sprintf("%s_rss_anon_mb_at_%d", s.name, rate), mb(p.peakAnon), none)
		r.note("paced %d lines/s: %s CPU %.2f %% (logagent/%s %.2f), RSS %.1f MB (logagent/%s %.2f), of it anonymous %.1f MB (logagent %.1f), p99 %.0f ms",
			rate, s.name, p.cpuPct, s.name, a.cpuPct/p.cpuPct, mb(p.peakRSS), s.name, float64(a.peakRSS)/float64(p.peakRSS),
			mb(p.peakAnon), mb(a.peakAnon), p.p99)
		if (s.name == "kcat" || s.name == "naive-go") && p.cpuPct < best {
			best, bestName = p.cpuPct, s.name
		}
	}
	if bestName != "" {
		r.add(fmt.Sprintf("agent_cpu_vs_peers_at_%d", rate), a.cpuPct/best, atMost(1))
		r.note("paced %d lines/s: agent_cpu_vs_peers = logagent's CPU / the lower of kcat's and naive-go's (%s)", rate, bestName)
	}
}

// pace runs one shipper at one rate (see paced).
func (e *env) pace(ctx context.Context, r *report, st *stage, s shipper, rate int) (paceResult, error) {
	var res paceResult
	dir := filepath.Join(st.dir, s.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	topic := fmt.Sprintf("paced-%d-%s", rate, s.name)
	file := filepath.Join(dir, "app.log")
	files := max(e.opts.Files, 1)
	if files > 1 {
		file = filepath.Join(dir, "*.log") // the agent's glob
	}
	w := newRateWriters(dir, files, rate, !e.opts.TickWrites)
	stopWriter := w.start(ctx)
	defer stopWriter()
	if err := waitUntil(ctx, 10*time.Second, 10*time.Millisecond, "the writer's first line", func() (bool, error) {
		return w.written() > 0, nil
	}); err != nil {
		return res, err
	}
	p, err := s.start(e, ctx, dir, file, st.broker.Addr, topic)
	if err != nil {
		return res, err
	}
	defer p.Stop(15 * time.Second)
	cl, err := st.broker.client()
	if err != nil {
		return res, err
	}
	defer cl.Close()
	keepsUp := func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n > 0 && n >= w.written()-int64(rate)/2, err
	}
	if err := waitUntil(ctx, time.Minute, 50*time.Millisecond, s.name+" to keep up", keepsUp, p, st.broker.proc); err != nil {
		return res, err
	}
	if err := sleep(ctx, 3*time.Second); err != nil { // past start-up work
		return res, err
	}
	lat, stopLat, err := st.broker.latencies(ctx, topic)
	if err != nil {
		return res, err
	}
	defer stopLat()
	cpu0, _, _, err := groupUsage(p.Pid())
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	peak := watchGroupRSS(p.Pid())
	profiled := func(*report) {}
	if s.name == "logagent" {
		profiled = e.profile(fmt.Sprintf("logagent-paced-%d", rate), p)
	}
	if err := sleep(ctx, e.opts.Duration); err != nil {
		return res, err
	}
	profiled(r)
	cpu1, _, _, err := groupUsage(p.Pid())
	if err != nil {
		return res, fmt.Errorf("%w\n%s", err, p.Tail())
	}
	res.cpuPct = 100 * (cpu1 - cpu0).Seconds() / time.Since(t0).Seconds()
	res.peakRSS, res.peakAnon = peak()
	if err := stopWriter(); err != nil {
		return res, fmt.Errorf("writing lines: %w", err)
	}
	total := w.written()
	if s.flush != nil {
		s.flush(p)
	}
	if err := waitUntil(ctx, time.Minute, 50*time.Millisecond, s.name+" to ship every line", func() (bool, error) {
		n, err := highWater(ctx, cl, topic)
		return n >= total, err
	}, p, st.broker.proc); err != nil {
		return res, err
	}
	stopLat()
	res.p99 = lat.Stats().P99ms
	return res, nil
}

// latencies consumes topic from its end and records, for every record that
// carries a write stamp, receipt time − stamp in a Sink's histogram.
func (b *broker) latencies(ctx context.Context, topic string) (*Sink, func(), error) {
	cl, err := b.client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.FetchMaxWait(20*time.Millisecond))
	if err != nil {
		return nil, nil, err
	}
	s := NewSink()
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var lats []int64
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			now := time.Now().UnixNano()
			lats = lats[:0]
			fs.EachRecord(func(r *kgo.Record) {
				if t, ok := stamp(r.Value); ok {
					lats = append(lats, now-t)
				}
			})
			s.record(0, lats)
		}
	}()
	stop := sync.OnceFunc(func() { cancel(); <-done; cl.Close() })
	return s, stop, nil
}

// watchGroupRSS samples the summed RSS of a process group every 100 ms; the
// returned function stops and returns the peak, and the peak of its
// anonymous part (RssAnon), sampled alike.
func watchGroupRSS(pgid int) func() (int64, int64) {
	var mu sync.Mutex
	var peak, peakAnon int64
	sample := func() {
		if _, rss, anon, err := groupUsage(pgid); err == nil {
			mu.Lock()
			peak, peakAnon = max(peak, rss), max(peakAnon, anon)
			mu.Unlock()
		}
	}
	sample()
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return sync.OnceValues(func() (int64, int64) {
		close(done)
		<-stopped
		sample()
		mu.Lock()
		defer mu.Unlock()
		return peak, peakAnon
	})
}
