package ctl

import (
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"gopkg.in/ini.v1"
)

// conns are the daemons' own [etcd], [kafka] and [elasticsearch] sections
// as logctl uses them, resolved lowest first from: the defaults, the ini
// file of --config (either daemon's), LOGPIPE_* variables, then flags. The
// sections are validated and translated by conf, so logctl reaches a
// secured cluster exactly as the daemons do.
type conns struct {
	Etcd  conf.Etcd
	Kafka conf.Kafka
	ES    conf.Elasticsearch
	// Path is the --config file, "" without one; exactly one of Agent and
	// Transfer is set with it: the whole file, validated by its daemon.
	Path     string
	Agent    *logagent.Config
	Transfer *logtransfer.Config
}

// setting is one connection setting: its global flag, its environment
// variable and the section key it sets. A secret's value is never printed:
// not as a flag default in --help, not in an error.
type setting struct {
	// usage may name its value in backquotes, as the flag package reads it.
	flag, env, usage, def string
	secret, boolean       bool
	set                   func(c *conns, v string)
}

// EnvConfig names the ini file logctl reads its connection settings from.
const EnvConfig = "LOGPIPE_CONFIG"

func settings() []setting {
	list := func(v string) []string { return split(v) }
	var out []setting
	add := func(s setting) { out = append(out, s) }
	add(setting{flag: "etcd", env: EnvEtcd, def: DefaultEtcd, usage: "etcd `endpoints`, comma-separated",
		set: func(c *conns, v string) { c.Etcd.Endpoints = list(v) }})
	add(text("etcd-user", "etcd `user`", func(c *conns) *string { return &c.Etcd.Username }))
	add(secret("etcd-password", "etcd `password`", func(c *conns) *string { return &c.Etcd.Password }))
	out = append(out, tlsSettings("etcd", "etcd", func(c *conns) tlsKeys {
		return tlsKeys{&c.Etcd.TLSEnable, &c.Etcd.TLSCAFile, &c.Etcd.TLSCertFile, &c.Etcd.TLSKeyFile}
	})...)
	add(setting{flag: "brokers", env: EnvBrokers, def: DefaultBrokers, usage: "Kafka `brokers`, comma-separated",
		set: func(c *conns, v string) { c.Kafka.Brokers = list(v) }})
	out = append(out, tlsSettings("kafka", "Kafka", func(c *conns) tlsKeys {
		return tlsKeys{&c.Kafka.TLSEnable, &c.Kafka.TLSCAFile, &c.Kafka.TLSCertFile, &c.Kafka.TLSKeyFile}
	})...)
	add(text("kafka-sasl", "SASL `mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", func(c *conns) *string { return &c.Kafka.SASLMechanism }))
	add(text("kafka-user", "SASL `user`", func(c *conns) *string { return &c.Kafka.SASLUsername }))
	add(secret("kafka-password", "SASL `password`", func(c *conns) *string { return &c.Kafka.SASLPassword }))
	add(setting{flag: "es", env: EnvES, def: DefaultES, usage: "Elasticsearch `URLs`, comma-separated, https:// for TLS",
		set: func(c *conns, v string) { c.ES.URLs = list(v) }})
	add(text("es-user", "Elasticsearch `user` (basic auth)", func(c *conns) *string { return &c.ES.Username }))
	add(secret("es-password", "Elasticsearch `password`", func(c *conns) *string { return &c.ES.Password }))
	for _, s := range tlsSettings("es", "Elasticsearch", func(c *conns) tlsKeys {
		return tlsKeys{&c.ES.TLSEnable, &c.ES.TLSCAFile, &c.ES.TLSCertFile, &c.ES.TLSKeyFile}
	}) {
		if !s.boolean { // https:// in --es says TLS
			add(s)
		}
	}
	return out
}

// envName is a flag's variable: --kafka-user is LOGPIPE_KAFKA_USER.
func envName(flag string) string {
	return "LOGPIPE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// text is a setting filling a string key.
func text(flag, usage string, key func(*conns) *string) setting {
	return setting{flag: flag, env: envName(flag), usage: usage, set: func(c *conns, v string) { *key(c) = v }}
}

// secret is a text setting never printed.
func secret(flag, usage string, key func(*conns) *string) setting {
	s := text(flag, usage, key)
	s.secret = true
	return s
}

// tlsKeys are a section's tls_enable, tls_ca_file, tls_cert_file and
// tls_key_file.
type tlsKeys struct {
	enable         *bool
	ca, cert, keyf *string
}

// tlsSettings are the TLS settings of service svc (flag prefix).
func tlsSettings(svc, name string, keys func(*conns) tlsKeys) []setting {
	return []setting{
		{flag: svc + "-tls", env: envName(svc + "-tls"), boolean: true, usage: name + " over TLS (implied by --" + svc + "-ca)",
			set: func(c *conns, v string) { *keys(c).enable, _ = strconv.ParseBool(v) }},
		text(svc+"-ca", "CA `file` verifying "+name, func(c *conns) *string { return keys(c).ca }),
		text(svc+"-cert", "client certificate `file` for "+name, func(c *conns) *string { return keys(c).cert }),
		text(svc+"-key", "client key `file` for "+name, func(c *conns) *string { return keys(c).keyf }),
	}
}

// settingFlag is a setting registered on one flag set: what is given is
// kept in values by flag name, so every flag set of the command line
// (group, then subcommand) fills the same map.
type settingFlag struct {
	s setting
	g *globals
}

// String is the default --help shows: what the environment gives, else
// the built-in default; never a secret.
func (f settingFlag) String() string {
	if f.s.secret || f.g == nil {
		return ""
	}
	if v, ok := f.g.flagValues[f.s.flag]; ok {
		return v
	}
	if v := f.g.env(f.s.env); v != "" {
		return v
	}
	return f.s.def
}

func (f settingFlag) Set(v string) error {
	if f.s.boolean {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("want true or false")
		}
	}
	f.g.flagValues[f.s.flag] = v
	return nil
}

func (f settingFlag) IsBoolFlag() bool { return f.s.boolean }

// registerSettings adds --config and every setting flag to fs.
func (g *globals) registerSettings(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config,
		"logagent or logtransfer ini `file` whose [etcd] [kafka] [elasticsearch] to use (env "+EnvConfig+")")
	for _, s := range settings() {
		usage := s.usage + " (env " + s.env + ")"
		if s.secret {
			usage += "; prefer the environment or --config: a flag shows in ps"
		}
		fs.Var(settingFlag{s: s, g: g}, s.flag, usage)
	}
}

// isSetting reports whether name is a connection flag.
func isSetting(name string) bool {
	if name == "config" {
		return true
	}
	for _, s := range settings() {
		if s.flag == name {
			return true
		}
	}
	return false
}

// resolve builds the connection settings once the flags are parsed. A
// --config file that does not load is refused, with every problem.
func (g *globals) resolve() (*conns, error) {
	c := &conns{Etcd: conf.DefaultEtcd(), Kafka: conf.DefaultKafka(), ES: conf.DefaultElasticsearch()}
	c.Etcd.Endpoints, c.Kafka.Brokers, c.ES.URLs = []string{DefaultEtcd}, []string{DefaultBrokers}, []string{DefaultES}
	if c.Path = g.config; c.Path == "" {
		c.Path = g.env(EnvConfig)
	}
	if c.Path != "" {
		if err := c.load(); err != nil {
			return nil, refusedError{what: "configuration " + c.Path, err: err}
		}
	}
	for _, s := range settings() {
		if v := g.env(s.env); v != "" {
			s.set(c, v)
		}
	}
	for _, s := range settings() {
		if v, ok := g.flagValues[s.flag]; ok {
			s.set(c, v)
		}
	}
	return c, nil
}

// load reads c.Path with its daemon's own loader: a file with an [agent]
// section is a logagent ini, any other a logtransfer ini (which knows
// every shared section).
func (c *conns) load() error {
	f, err := ini.Load(c.Path)
	if err != nil {
		return err
	}
	if f.HasSection("agent") {
		cfg, err := logagent.LoadConfig(c.Path)
		if err != nil {
			return err
		}
		c.Agent, c.Etcd, c.Kafka = &cfg, cfg.Etcd, cfg.Kafka
		return nil
	}
	cfg, err := logtransfer.LoadConfig(c.Path)
	if err != nil {
		return err
	}
	c.Transfer, c.Etcd, c.Kafka, c.ES = &cfg, cfg.Etcd, cfg.Kafka, cfg.Elasticsearch
	return nil
}

// etcdAddr, brokersAddr and esAddr name the services in messages.
func (c *conns) etcdAddr() string    { return strings.Join(c.Etcd.Endpoints, ",") }
func (c *conns) brokersAddr() string { return strings.Join(c.Kafka.Brokers, ",") }
func (c *conns) esAddr() string      { return redactURLs(c.ES.URLs) }

// redactURLs joins urls with any password in them (https://u:p@host)
// replaced by xxxxx, for messages.
func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u
		if p, err := url.Parse(u); err == nil {
			out[i] = p.Redacted()
		}
	}
	return strings.Join(out, ",")
}
