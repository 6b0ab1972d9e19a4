package deploy_test

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// recorder is a registry that remembers what was registered, so the test
// learns each metric's name and kind from the daemons' own NewMetrics.
type recorder struct {
	*prometheus.Registry
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registry.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var fqNameRe = regexp.MustCompile(`fqName: "([^"]+)"`)

// exposedNames returns every series name the two daemons expose: the
// registered names, plus _bucket, _sum and _count of histograms and _sum and
// _count of summaries.
//
// NOTE: the names come from NewMetrics, not from a regexp over metrics.go:
// logtransfer builds its counter names from a prefix and a suffix
// ("logtransfer_" + name), which no source regexp would see.
func exposedNames(t *testing.T) map[string]bool {
	t.Helper()
	r := &recorder{Registry: prometheus.NewRegistry()}
	logagent.NewMetrics(r)
	logtransfer.NewMetrics(r)
	names := map[string]bool{}
	for _, c := range r.collectors {
		var suffixes []string
		switch c.(type) {
		// Neither daemon registers summaries (and a Summary has the same
		// method set as a Histogram, so a type switch could not tell them
		// apart); histograms expose these series.
		case prometheus.Histogram, *prometheus.HistogramVec:
			suffixes = []string{"_bucket", "_sum", "_count"}
		}
		ch := make(chan *prometheus.Desc, 8)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := fqNameRe.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read a name from %s", d)
			}
			names[m[1]] = true
			for _, s := range suffixes {
				names[m[1]+s] = true
			}
		}
	}
	if len(names) < 20 {
		t.Fatalf("only %d metric names found: %v", len(names), names)
	}
	return names
}

var metricRefRe = regexp.MustCompile(`\b(?:logagent|logtransfer)_[A-Za-z0-9_]+`)

// checkExprs fails for every logagent_/logtransfer_ name an expression uses
// that the daemons do not expose, and returns the names used.
func checkExprs(t *testing.T, where string, exprs []string, known map[string]bool) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	for _, e := range exprs {
		for _, n := range metricRefRe.FindAllString(e, -1) {
			used[n] = true
			if !known[n] {
				t.Errorf("%s: %q queries %s, which neither daemon exposes", where, e, n)
			}
		}
	}
	return used
}

func TestGrafanaDashboard(t *testing.T) {
	known := exposedNames(t)
	b, err := os.ReadFile(filepath.Join("grafana", "logpipe.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title      string `json:"title"`
			Type       string `json:"type"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("logpipe.json: %v", err)
	}
	var ds struct {
		Datasources []struct{ UID, Type, URL string }
	}
	readYAML(t, filepath.Join("grafana", "provisioning", "datasources", "prometheus.yaml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" {
		t.Fatalf("want one provisioned prometheus datasource, got %+v", ds.Datasources)
	}
	var exprs []string
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != ds.Datasources[0].UID {
			t.Errorf("panel %q: datasource is not the provisioned uid %q", p.Title, ds.Datasources[0].UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	used := checkExprs(t, "logpipe.json", exprs, known)
	// What the dashboard is for: throughput, lag, latency, errors, in flight.
	for _, want := range []string{
		"logagent_lines_acked_total", "logtransfer_documents_created_total",
		"logagent_file_lag_bytes", "logtransfer_consumer_lag",
		"logagent_produce_latency_seconds_bucket", "logtransfer_write_to_index_seconds_bucket",
		"logagent_lines_failed_total", "logtransfer_documents_retried_total",
		"logtransfer_documents_dead_lettered_total", "logagent_rejected_keys", "logtransfer_rejected_keys",
		"logagent_inflight_bytes", "logtransfer_inflight_bytes",
	} {
		if !used[want] {
			t.Errorf("logpipe.json does not show %s", want)
		}
	}

	// The provisioning provider reads the directory compose mounts the
	// dashboard into.
	var prov struct {
		Providers []struct {
			Options struct{ Path string }
		}
	}
	readYAML(t, filepath.Join("grafana", "provisioning", "dashboards", "logpipe.yaml"), &prov)
	if len(prov.Providers) != 1 {
		t.Fatalf("want one dashboard provider, got %+v", prov.Providers)
	}
	mount := "../grafana/logpipe.json:" + prov.Providers[0].Options.Path + "/"
	if !slices.ContainsFunc(loadCompose(t).Services["grafana"].Volumes, func(v string) bool { return strings.HasPrefix(v, mount) }) {
		t.Errorf("grafana: logpipe.json is not mounted below the provider path %s", prov.Providers[0].Options.Path)
	}
}

func TestPrometheus(t *testing.T) {
	known := exposedNames(t)
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, filepath.Join("prometheus", "prometheus.yml"), &cfg)

	// Each daemon's job scrapes the compose service on the port its ini
	// file listens on.
	agent, err := logagent.LoadConfig(filepath.Join(composeDir, "logagent.ini"))
	if err != nil {
		t.Fatal(err)
	}
	transfer, err := logtransfer.LoadConfig(filepath.Join(composeDir, "logtransfer.ini"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"logagent": agent.HTTP.Listen, "logtransfer": transfer.HTTP.Listen}
	for job, listen := range want {
		_, port, _ := net.SplitHostPort(listen)
		var targets []string
		for _, sc := range cfg.ScrapeConfigs {
			if sc.JobName == job {
				for _, s := range sc.StaticConfigs {
					targets = append(targets, s.Targets...)
				}
			}
		}
		if !slices.Contains(targets, job+":"+port) {
			t.Errorf("prometheus.yml job %s: targets %v, want %s:%s", job, targets, job, port)
		}
	}

	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if len(cfg.RuleFiles) == 0 {
		t.Fatal("prometheus.yml: no rule_files")
	}
	for _, rf := range cfg.RuleFiles {
		// Compose mounts deploy/prometheus at /etc/prometheus.
		readYAML(t, filepath.Join("prometheus", strings.TrimPrefix(rf, "/etc/prometheus/")), &rules)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("alert rule without name or expr: %+v", r)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	used := checkExprs(t, "alerts", exprs, known)
	if !used["logtransfer_write_to_index_seconds_bucket"] {
		t.Error("alerts: nothing watches the 10 s line-to-index budget")
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("alerts use %v", names)
}
