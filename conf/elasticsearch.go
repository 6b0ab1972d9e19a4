package conf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/olivere/elastic/v7"
)

// Defaults of the [elasticsearch] section.
const (
	DefaultESURL             = "http://127.0.0.1:9200"
	DefaultBulkActions       = 1000
	DefaultBulkBytes         = 5 << 20
	DefaultFlushInterval     = 200 * time.Millisecond
	DefaultBulkWorkers       = 2
	DefaultESRetryBackoff    = 100 * time.Millisecond
	DefaultESRetryBackoffMax = 10 * time.Second
	DefaultESTimeout         = 30 * time.Second
)

// Elasticsearch is the [elasticsearch] section: the cluster logtransfer
// writes to, and how it batches its bulk requests.
type Elasticsearch struct {
	URLs     []string `ini:"urls" delim:","`
	Username string   `ini:"username"`
	Password string   `ini:"password"`
	// Sniff discovers the cluster's nodes; off by default because it fails
	// behind a load balancer or in a container network.
	Sniff           bool          `ini:"sniff"`
	BulkActions     int           `ini:"bulk_actions"`
	BulkBytes       int           `ini:"bulk_bytes"`
	FlushInterval   time.Duration `ini:"flush_interval"`
	Workers         int           `ini:"workers"`
	RetryBackoff    time.Duration `ini:"retry_backoff"`
	RetryBackoffMax time.Duration `ini:"retry_backoff_max"`
	Timeout         time.Duration `ini:"timeout"`

	TLSEnable             bool   `ini:"tls_enable"`
	TLSCAFile             string `ini:"tls_ca_file"`
	TLSCertFile           string `ini:"tls_cert_file"`
	TLSKeyFile            string `ini:"tls_key_file"`
	TLSInsecureSkipVerify bool   `ini:"tls_insecure_skip_verify"`
}

// DefaultElasticsearch returns the [elasticsearch] section's defaults.
func DefaultElasticsearch() Elasticsearch {
	return Elasticsearch{
		URLs: []string{DefaultESURL}, BulkActions: DefaultBulkActions, BulkBytes: DefaultBulkBytes,
		FlushInterval: DefaultFlushInterval, Workers: DefaultBulkWorkers, RetryBackoff: DefaultESRetryBackoff,
		RetryBackoffMax: DefaultESRetryBackoffMax, Timeout: DefaultESTimeout,
	}
}

func (e Elasticsearch) tls() TLS {
	return TLS{Enable: e.TLSEnable, CAFile: e.TLSCAFile, CertFile: e.TLSCertFile, KeyFile: e.TLSKeyFile, InsecureSkipVerify: e.TLSInsecureSkipVerify}
}

// Validate reports every problem of the section.
func (e Elasticsearch) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fieldErr("elasticsearch", key, format, args...))
	}
	if len(e.URLs) == 0 {
		bad("urls", "at least one URL is required")
	}
	for _, u := range e.URLs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad("urls", "%q: want http(s)://host:port", u)
		}
	}
	if (e.Username == "") != (e.Password == "") {
		bad("username", "username and password must be set together")
	}
	if e.BulkActions < 1 {
		bad("bulk_actions", "must be at least 1, got %d", e.BulkActions)
	}
	if e.BulkBytes < 1024 {
		bad("bulk_bytes", "must be at least 1024, got %d", e.BulkBytes)
	}
	if e.FlushInterval <= 0 {
		bad("flush_interval", "must be positive")
	}
	if e.Workers < 1 || e.Workers > 64 {
		bad("workers", "want 1..64, got %d", e.Workers)
	}
	if e.RetryBackoff <= 0 || e.RetryBackoffMax < e.RetryBackoff {
		bad("retry_backoff", "want 0 < retry_backoff <= retry_backoff_max")
	}
	if e.Timeout <= 0 {
		bad("timeout", "must be positive")
	}
	errs = append(errs, e.tls().validate("elasticsearch")...)
	return errors.Join(errs...)
}

// Client builds the olivere client. It does not need the cluster to be up:
// the health check is off (a daemon must start while Elasticsearch is down;
// its requests fail and are retried instead), and sniffing only if asked.
// olivere's error log goes to log at Warn, its trace log at Debug with the
// Authorization header removed, only when log is at Debug.
func (e Elasticsearch) Client(log *slog.Logger) (*elastic.Client, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	tc, err := e.tls().Config()
	if err != nil {
		return nil, fmt.Errorf("elasticsearch tls: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = max(e.Workers*2, 4)
	opts := []elastic.ClientOptionFunc{
		elastic.SetURL(e.URLs...),
		elastic.SetSniff(e.Sniff),
		elastic.SetHealthcheck(false),
		elastic.SetHttpClient(&http.Client{Transport: tr, Timeout: e.Timeout}),
		elastic.SetErrorLog(esLogger{log: log, level: slog.LevelWarn}),
	}
	if log.Enabled(context.Background(), slog.LevelDebug) {
		// Only then: with a trace log set, olivere dumps every request,
		// body included, before the logger can decline it — two more
		// copies of each bulk body and ~6 % of the transfer's CPU.
		opts = append(opts, elastic.SetTraceLog(esLogger{log: log, level: slog.LevelDebug, redact: true}))
	}
	if e.Username != "" {
		opts = append(opts, elastic.SetBasicAuth(e.Username, e.Password))
	}
	c, err := elastic.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("elasticsearch client: %w", err)
	}
	return c, nil
}
