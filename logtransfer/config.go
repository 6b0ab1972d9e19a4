package logtransfer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// Defaults of the [transfer] section.
const (
	DefaultTimezone         = "UTC"
	DefaultStateDir         = "/var/lib/logtransfer"
	DefaultMaxInflightBytes = 32 << 20
	DefaultCommitInterval   = time.Second
	DefaultShutdownTimeout  = 10 * time.Second
	DefaultStatusInterval   = 10 * time.Second
	DefaultStatusTTL        = 30 * time.Second
	DefaultHTTPListen       = "127.0.0.1:9611"
	// DefaultRetentionWarnFraction: warn when a partition's oldest
	// unindexed record is half its topic's retention.ms old.
	DefaultRetentionWarnFraction = 0.5
)

// Settings is the [transfer] section.
type Settings struct {
	// ID names this instance in its status key; default: the hostname.
	ID string `ini:"id"`
	// Timezone is where an index's date placeholder is evaluated.
	Timezone string `ini:"timezone"`
	// StateDir holds the cached route snapshot and template hashes.
	StateDir string `ini:"state_dir"`
	// MaxInflightBytes bounds records consumed but not yet acknowledged by
	// Elasticsearch, across all routes. When spent, consumption pauses.
	MaxInflightBytes int64         `ini:"max_inflight_bytes"`
	CommitInterval   time.Duration `ini:"commit_interval"`
	ShutdownTimeout  time.Duration `ini:"shutdown_timeout"`
	StatusInterval   time.Duration `ini:"status_interval"`
	StatusTTL        time.Duration `ini:"status_ttl"`
	// RetentionWarnFraction is the share of a topic's retention.ms the age
	// of a partition's oldest unindexed record may reach before the route
	// warns that Kafka may delete it unindexed (retention.go); in (0, 1].
	RetentionWarnFraction float64 `ini:"retention_warn_fraction"`
}

// DefaultSettings returns the [transfer] section's defaults.
func DefaultSettings() Settings {
	host, _ := os.Hostname()
	return Settings{
		ID: host, Timezone: DefaultTimezone, StateDir: DefaultStateDir, MaxInflightBytes: DefaultMaxInflightBytes,
		CommitInterval: DefaultCommitInterval, ShutdownTimeout: DefaultShutdownTimeout,
		StatusInterval: DefaultStatusInterval, StatusTTL: DefaultStatusTTL,
		RetentionWarnFraction: DefaultRetentionWarnFraction,
	}
}

var instanceIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Validate reports every problem of the section.
func (s Settings) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("transfer.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !instanceIDRe.MatchString(s.ID) || s.ID == "routes" {
		bad("id", "%q: want 1-128 of [A-Za-z0-9._-], not \"routes\"", s.ID)
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		bad("timezone", "%q: %v", s.Timezone, err)
	}
	if s.StateDir == "" || !filepath.IsAbs(s.StateDir) {
		bad("state_dir", "%q: want an absolute path", s.StateDir)
	}
	if s.MaxInflightBytes < 64<<10 {
		bad("max_inflight_bytes", "%d: want at least 65536", s.MaxInflightBytes)
	}
	for key, d := range map[string]time.Duration{
		"commit_interval": s.CommitInterval, "shutdown_timeout": s.ShutdownTimeout,
		"status_interval": s.StatusInterval, "status_ttl": s.StatusTTL,
	} {
		if d <= 0 {
			bad(key, "must be positive, got %s", d)
		}
	}
	if !(s.RetentionWarnFraction > 0 && s.RetentionWarnFraction <= 1) {
		bad("retention_warn_fraction", "%v: want a fraction in (0, 1]", s.RetentionWarnFraction)
	}
	if s.StatusTTL < 2*s.StatusInterval {
		bad("status_ttl", "%s: want at least twice status_interval (%s)", s.StatusTTL, s.StatusInterval)
	}
	return errors.Join(errs...)
}

// location is the parsed Timezone (Validate has checked it).
func (s Settings) location() *time.Location {
	loc, err := time.LoadLocation(s.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Config is a whole logtransfer ini file.
type Config struct {
	Transfer      Settings
	Elasticsearch conf.Elasticsearch
	Etcd          conf.Etcd
	Kafka         conf.Kafka
	HTTP          conf.HTTP
	Log           conf.Log
}

// DefaultConfig returns the configuration used for keys a file leaves out.
func DefaultConfig() Config {
	return Config{Transfer: DefaultSettings(), Elasticsearch: conf.DefaultElasticsearch(), Etcd: conf.DefaultEtcd(),
		Kafka: conf.DefaultKafka(), HTTP: conf.HTTP{Listen: DefaultHTTPListen}, Log: conf.DefaultLog()}
}

// LoadConfig reads and validates a logtransfer ini file.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := conf.Load(path, map[string]any{
		"transfer": &c.Transfer, "elasticsearch": &c.Elasticsearch, "etcd": &c.Etcd,
		"kafka": &c.Kafka, "http": &c.HTTP, "log": &c.Log,
	}); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate reports every problem of every section.
func (c Config) Validate() error {
	var errs []error
	if c.Kafka.Group == "" {
		errs = append(errs, errors.New("kafka.group: required (consumer group prefix)"))
	}
	return errors.Join(append(errs, c.Transfer.Validate(), c.Elasticsearch.Validate(), c.Etcd.Validate(),
		c.Kafka.Validate(), c.HTTP.Validate(), c.Log.Validate())...)
}
