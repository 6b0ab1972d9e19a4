package logtransfer

import (
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/devstack"
)

// TestRetentionRiskWarnsBeforeDeletion: a route whose index refuses writes
// on a topic with a short retention.ms warns, while nothing is deleted yet,
// that its oldest unindexed record is older than retention_warn_fraction of
// the retention: the per-partition ratio rises past the fraction in
// /metrics, the route's retention_risk appears in the status key without
// changing its own state reason, one line is logged, and once the block is
// lifted and the backlog indexed the warning clears.
func TestRetentionRiskWarnsBeforeDeletion(t *testing.T) {
	const retention, fraction = 8 * time.Second, 0.5
	e := newEnv(t)
	if err := e.kafka.Cluster().CreateTopic("short", 2, map[string]string{"retention.ms": strconv.FormatInt(retention.Milliseconds(), 10)}); err != nil {
		t.Fatal(err)
	}
	e.esCall("PUT", "/short", "")
	e.esCall("PUT", "/short/_settings", `{"index.blocks.write":true}`)
	e.put(RouteKey("short"), `{"topic":"short","index":"short"}`)
	e.produce("short", "s", 0, 200, time.Time{})
	cfg := e.config("t1")
	cfg.Transfer.RetentionWarnFraction = fraction
	var logs devstack.SyncBuffer
	tr := e.startLogging(cfg, io.MultiWriter(&logs, devstack.TestLog{TB: t}))

	ratioRe := regexp.MustCompile(`logtransfer_partition_retention_used_ratio\{partition="\d+",route="short"\} (\S+)`)
	worst := func() float64 {
		_, m := devstack.HTTPGet("http://" + tr.HTTPAddr() + "/metrics")
		w := -1.0
		for _, g := range ratioRe.FindAllStringSubmatch(m, -1) {
			f, _ := strconv.ParseFloat(g[1], 64)
			w = max(w, f)
		}
		return w
	}
	devstack.WaitFor(t, 10*time.Second, "a ratio below the fraction while the records are young", func() bool {
		w := worst()
		return w >= 0 && w < fraction
	})
	var risk *RetentionRisk
	devstack.WaitFor(t, retention, "retention_risk in the status key", func() bool {
		st, _ := e.status("t1")
		r, _ := routeStatus(st, "short")
		risk = r.RetentionRisk
		return risk != nil
	})
	if risk.RetentionMs != retention.Milliseconds() || risk.Worst < fraction || risk.Worst >= 1 || risk.State != conf.StateWaiting ||
		!strings.Contains(risk.Reason, "retention.ms of topic short") {
		t.Errorf("retention_risk = %+v, want retention_ms %d, %v ≤ worst < 1 (before deletion), naming the topic", risk, retention.Milliseconds(), fraction)
	}
	if w := worst(); w < fraction {
		t.Errorf("worst ratio in /metrics = %v, want ≥ %v", w, fraction)
	}
	st, _ := e.status("t1")
	r, _ := routeStatus(st, "short")
	b, _ := json.Marshal(r)
	t.Logf("route status at the warning: %s", b)
	if strings.Contains(r.Reason, "retention") {
		t.Errorf("route state %+v carries the retention warning: a lagging route is not failing for it", r.Health)
	}
	aged := 0
	for _, p := range r.Partitions {
		if p.RetentionUsed >= fraction && p.UnindexedAgeMs >= int64(fraction*float64(retention.Milliseconds())) {
			aged++
		}
	}
	if aged == 0 {
		t.Errorf("no partition in the status key shows its age and ratio: %+v", r.Partitions)
	}

	e.esCall("PUT", "/short/_settings", `{"index.blocks.write":null}`)
	devstack.WaitFor(t, 30*time.Second, "backlog indexed after the lift", func() bool { return e.es.Count("short") == 200 })
	devstack.WaitFor(t, 10*time.Second, "retention_risk cleared", func() bool {
		st, _ := e.status("t1")
		r, _ := routeStatus(st, "short")
		return r.RetentionRisk == nil && worst() == 0
	})
	warned := 0
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "check=retention") && strings.Contains(l, "route=short") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("%d WARN lines about the retention risk, want 1 (one per reason per minute)", warned)
	}
}
