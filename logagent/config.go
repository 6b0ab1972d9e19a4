package logagent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// Defaults of the [agent] section.
const (
	DefaultStateDir         = "/var/lib/logagent"
	DefaultMaxInflightBytes = 16 << 20
	DefaultCloseInactive    = 5 * time.Minute
	DefaultScanFrequency    = 500 * time.Millisecond
	DefaultPollInterval     = 250 * time.Millisecond
	DefaultMaxPollInterval  = 5 * time.Second
	// DefaultReadInterval is the write-to-Kafka latency traded for CPU:
	// a followed file's lines go out once per interval, in one request
	// (make bench paced, one core: 100 ms → 200 ms took the agent from
	// 1.6-1.7 % to 1.0-1.1 % of a core at 1,750 lines/s and ~10 % less at
	// 7,000 and 35,000; p99 102 → 205 ms, under issue 12's 250 ms; peak RSS
	// +3 MB at 7,000 lines/s, one interval's records more in flight).
	DefaultReadInterval    = 200 * time.Millisecond
	DefaultSaveInterval    = time.Second
	DefaultShutdownTimeout = 10 * time.Second
	DefaultStatusInterval  = 10 * time.Second
	DefaultStatusTTL       = 30 * time.Second
	DefaultCleanRemoved    = 24 * time.Hour
	DefaultHTTPListen      = "127.0.0.1:9610"
)

// Settings is the [agent] section.
type Settings struct {
	// ID names this agent in etcd keys and record ids; default: the hostname.
	ID string `ini:"id"`
	// StateDir holds positions, time anchors and the cached task snapshot.
	StateDir string `ini:"state_dir"`
	// AllowedPaths confines tasks: a task path, and every file it matches
	// (symlinks resolved), must lie under one of them. Empty allows all.
	AllowedPaths []string `ini:"allowed_paths" delim:","`
	// MaxInflightBytes bounds the lines read but not yet acked by Kafka.
	MaxInflightBytes int64         `ini:"max_inflight_bytes"`
	CloseInactive    time.Duration `ini:"close_inactive"`
	ScanFrequency    time.Duration `ini:"scan_frequency"`
	PollInterval     time.Duration `ini:"poll_interval"`
	// MaxPollInterval caps the safety-net poll, which backs off from
	// PollInterval while a file does not grow.
	MaxPollInterval time.Duration `ini:"max_poll_interval"`
	// ReadInterval spaces the reads of a file being written: lines are
	// shipped in bursts, far cheaper per line, for at most this much latency.
	ReadInterval    time.Duration `ini:"read_interval"`
	SaveInterval    time.Duration `ini:"save_interval"`
	ShutdownTimeout time.Duration `ini:"shutdown_timeout"`
	StatusInterval  time.Duration `ini:"status_interval"`
	StatusTTL       time.Duration `ini:"status_ttl"`
	// CleanRemoved forgets the position of a file gone for this long.
	CleanRemoved time.Duration `ini:"clean_removed"`
	// WatchMethod is how a harvester at end of file learns of new data:
	// "inotify" (nxadm/tail's watcher, with a poll as a safety net) or "poll".
	WatchMethod string `ini:"watch_method"`
	// HarvesterLimit caps the files each task has open at once (0: no
	// cap). Files over it wait for a scan, oldest name first; while any
	// wait, a file that stopped growing is closed at once to make room.
	HarvesterLimit int `ini:"harvester_limit"`
}

// DefaultSettings returns the [agent] section's defaults.
func DefaultSettings() Settings {
	host, _ := os.Hostname()
	return Settings{
		ID: host, StateDir: DefaultStateDir, MaxInflightBytes: DefaultMaxInflightBytes,
		CloseInactive: DefaultCloseInactive, ScanFrequency: DefaultScanFrequency,
		PollInterval: DefaultPollInterval, MaxPollInterval: DefaultMaxPollInterval,
		ReadInterval: DefaultReadInterval, SaveInterval: DefaultSaveInterval,
		ShutdownTimeout: DefaultShutdownTimeout, StatusInterval: DefaultStatusInterval,
		StatusTTL: DefaultStatusTTL, CleanRemoved: DefaultCleanRemoved, WatchMethod: "inotify",
	}
}

var agentIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Validate reports every problem of the section.
func (a Settings) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("agent.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if !agentIDRe.MatchString(a.ID) || a.ID == "all" {
		bad("id", "%q: want 1-128 of [A-Za-z0-9._-], not \"all\"", a.ID)
	}
	if a.StateDir == "" || !filepath.IsAbs(a.StateDir) {
		bad("state_dir", "%q: want an absolute path", a.StateDir)
	}
	for _, p := range a.AllowedPaths {
		if !filepath.IsAbs(p) {
			bad("allowed_paths", "%q: want an absolute path", p)
		}
	}
	if a.MaxInflightBytes < 64<<10 {
		bad("max_inflight_bytes", "%d: want at least 65536", a.MaxInflightBytes)
	}
	for key, d := range map[string]time.Duration{
		"close_inactive": a.CloseInactive, "scan_frequency": a.ScanFrequency, "poll_interval": a.PollInterval,
		"save_interval": a.SaveInterval, "shutdown_timeout": a.ShutdownTimeout, "status_interval": a.StatusInterval,
		"status_ttl": a.StatusTTL, "clean_removed": a.CleanRemoved,
	} {
		if d <= 0 {
			bad(key, "must be positive, got %s", d)
		}
	}
	if a.StatusTTL < 2*a.StatusInterval {
		bad("status_ttl", "%s: want at least twice status_interval (%s)", a.StatusTTL, a.StatusInterval)
	}
	if a.HarvesterLimit < 0 {
		bad("harvester_limit", "%d: want 0 (no cap) or more", a.HarvesterLimit)
	}
	if a.MaxPollInterval < a.PollInterval {
		bad("max_poll_interval", "%s: want at least poll_interval (%s)", a.MaxPollInterval, a.PollInterval)
	}
	if a.ReadInterval < 0 || a.ReadInterval > 10*time.Second {
		bad("read_interval", "%s: want 0 to 10s", a.ReadInterval)
	}
	if a.WatchMethod != "inotify" && a.WatchMethod != "poll" {
		bad("watch_method", "%q: want inotify or poll", a.WatchMethod)
	}
	return errors.Join(errs...)
}

// Config is a whole logagent ini file.
type Config struct {
	Agent Settings
	Etcd  conf.Etcd
	Kafka conf.Kafka
	HTTP  conf.HTTP
	Log   conf.Log
}

// DefaultConfig returns the configuration used for keys a file leaves out.
func DefaultConfig() Config {
	return Config{Agent: DefaultSettings(), Etcd: conf.DefaultEtcd(), Kafka: conf.DefaultKafka(),
		HTTP: conf.HTTP{Listen: DefaultHTTPListen}, Log: conf.DefaultLog()}
}

// LoadConfig reads and validates a logagent ini file.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := conf.Load(path, map[string]any{
		"agent": &c.Agent, "etcd": &c.Etcd, "kafka": &c.Kafka, "http": &c.HTTP, "log": &c.Log,
	}); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate reports every problem of every section.
func (c Config) Validate() error {
	return errors.Join(c.Agent.Validate(), c.Etcd.Validate(), c.Kafka.Validate(), c.HTTP.Validate(), c.Log.Validate())
}
