package ctl

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// secured is a stack as production runs it: etcd over TLS with a user
// confined to logpipe's prefixes, Kafka over TLS with SASL/SCRAM-SHA-512,
// and the Elasticsearch stand-in behind TLS and basic auth. Each password
// is a canary that must never appear in logctl's output.
type secured struct {
	*stack
	certs    *devstack.Certs
	kafka    *devstack.Kafka
	es       *esdev.Server
	esURL    string
	canaries []string
	// env holds the connection settings as LOGPIPE_* variables; s.env is
	// what logctl runs with (the same, unless a test empties it).
	secEnv map[string]string
}

const (
	secEtcdUser  = "logctl"
	secKafkaUser = "operator"
	secESUser    = "reader"
)

func newSecured(t *testing.T) *secured {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	tag := fmt.Sprint(os.Getpid())
	etcdPass, kafkaPass, esPass := "etcd-canary-"+tag, "kafka-canary-"+tag, "es-canary-"+tag
	certs := devstack.NewCerts(t)
	etcd := devstack.NewSecureEtcd(t, certs, "root-canary-"+tag, devstack.EtcdUser{
		Name: secEtcdUser, Password: etcdPass, Prefixes: []string{logagent.KeyRoot, logtransfer.KeyRoot}})
	root, err := etcd.RootClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	s := &secured{certs: certs, canaries: []string{etcdPass, kafkaPass, esPass, "root-canary-" + tag}}
	s.stack = &stack{t: t, etcd: etcd.Etcd, cli: root, env: map[string]string{}}
	s.kafka = devstack.NewKafka(t, kfake.TLS(certs.Server), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", secKafkaUser, kafkaPass))
	s.es = esdev.New()
	srv := httptest.NewUnstartedServer(esdev.BasicAuth(secESUser, esPass, s.es.Handler(), nil))
	srv.TLS = certs.Server.Clone()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.esURL = srv.URL
	s.secEnv = map[string]string{
		EnvEtcd: etcd.Endpoint(), "LOGPIPE_ETCD_USER": secEtcdUser, "LOGPIPE_ETCD_PASSWORD": etcdPass,
		"LOGPIPE_ETCD_CA": certs.CAFile,
		EnvBrokers:        strings.Join(s.kafka.Addrs(), ","), "LOGPIPE_KAFKA_CA": certs.CAFile,
		"LOGPIPE_KAFKA_SASL": "SCRAM-SHA-512", "LOGPIPE_KAFKA_USER": secKafkaUser, "LOGPIPE_KAFKA_PASSWORD": kafkaPass,
		EnvES: s.esURL, "LOGPIPE_ES_USER": secESUser, "LOGPIPE_ES_PASSWORD": esPass, "LOGPIPE_ES_CA": certs.CAFile,
	}
	for k, v := range s.secEnv {
		s.env[k] = v
	}
	return s
}

// kgoOpts reach the secured brokers as the operator.
func (s *secured) kgoOpts() []kgo.Opt {
	return []kgo.Opt{kgo.SeedBrokers(s.kafka.Addrs()...), kgo.DialTLSConfig(s.certs.Client()),
		kgo.SASL(scram.Auth{User: secKafkaUser, Pass: s.secEnv["LOGPIPE_KAFKA_PASSWORD"]}.AsSha512Mechanism())}
}

// produce writes n lines to topic with logagent's headers.
func (s *secured) produce(topic string, n int) {
	s.t.Helper()
	cl, err := kgo.NewClient(append(s.kgoOpts(), kgo.AllowAutoTopicCreation())...)
	if err != nil {
		s.t.Fatal(err)
	}
	defer cl.Close()
	for i := range n {
		r := &kgo.Record{Topic: topic, Key: []byte("file-1"), Value: []byte(fmt.Sprintf("secure line %d", i)),
			Headers: []kgo.RecordHeader{{Key: "lp.id", Value: []byte(fmt.Sprintf("web-1-file-1-%d", i*14))},
				{Key: "lp.host", Value: []byte("web-1")}, {Key: "lp.path", Value: []byte("/var/log/app.log")}}}
		if err := cl.ProduceSync(s.t.Context(), r).FirstErr(); err != nil {
			s.t.Fatal(err)
		}
	}
}

// produceQuiet writes one record to topic from a helper goroutine: it
// reports a failure instead of stopping the test.
func (s *secured) produceQuiet(topic string) {
	cl, err := kgo.NewClient(append(s.kgoOpts(), kgo.AllowAutoTopicCreation())...)
	if err != nil {
		s.t.Error(err)
		return
	}
	defer cl.Close()
	if err := cl.ProduceSync(s.t.Context(), &kgo.Record{Topic: topic, Value: []byte("more")}).FirstErr(); err != nil && s.t.Context().Err() == nil {
		s.t.Error(err)
	}
}

// noCanary fails when out holds a password.
func (s *secured) noCanary(what, out string) {
	s.t.Helper()
	for _, c := range s.canaries {
		if strings.Contains(out, c) {
			s.t.Errorf("%s prints a password:\n%s", what, out)
		}
	}
}

// secureOK runs logctl, fails unless it exits 0, and checks no password
// is printed.
func (s *secured) secureOK(args ...string) string {
	s.t.Helper()
	r := s.run(args...)
	s.noCanary("logctl "+strings.Join(args, " "), r.stdout+r.stderr)
	if r.code != 0 {
		s.t.Fatalf("logctl %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// writeINI writes a daemon ini file holding the secured settings.
func (s *secured) writeINI(name, head string, es bool) string {
	e := s.secEnv
	ini := head + fmt.Sprintf("[etcd]\nendpoints = %s\nusername = %s\npassword = %s\ntls_ca_file = %s\n"+
		"[kafka]\nbrokers = %s\ntls_enable = true\ntls_ca_file = %s\nsasl_mechanism = SCRAM-SHA-512\n"+
		"sasl_username = %s\nsasl_password = %s\n",
		e[EnvEtcd], secEtcdUser, e["LOGPIPE_ETCD_PASSWORD"], s.certs.CAFile,
		e[EnvBrokers], s.certs.CAFile, secKafkaUser, e["LOGPIPE_KAFKA_PASSWORD"])
	if es {
		ini += fmt.Sprintf("[elasticsearch]\nurls = %s\nusername = %s\npassword = %s\ntls_ca_file = %s\n",
			s.esURL, secESUser, e["LOGPIPE_ES_PASSWORD"], s.certs.CAFile)
	}
	path := filepath.Join(s.t.TempDir(), name)
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// TestSecuredClusterEveryCommand runs every subcommand against the secured
// stack with the settings from LOGPIPE_* variables, and checks that no
// output carries a password.
func TestSecuredClusterEveryCommand(t *testing.T) {
	s := newSecured(t)
	s.produce("mglogs", 5)

	mustContain(t, s.secureOK("task", "add", "mg", "--agent", "all", "--path", "/data/mg_*.log", "--topic", "mglogs"),
		"wrote "+logagent.TaskKey("all", "mg"))
	mustContain(t, s.secureOK("task", "ls"), "mg", "/data/mg_*.log")
	mustContain(t, s.secureOK("task", "get", "mg", "--agent", "all"), `"topic": "mglogs"`)
	mustContain(t, s.secureOK("reship", "add", "fill", "--agent", "web-1", "--path", "/data/mg_1.log", "--from-offset", "0"),
		"wrote "+logagent.ReshipKey("web-1", "fill"))
	mustContain(t, s.secureOK("reship", "ls"), "fill", "/data/mg_1.log", "pending")
	s.secureOK("reship", "rm", "fill", "--agent", "web-1")
	mustContain(t, s.secureOK("route", "add", "mglogs", "--topic", "mglogs", "--index", "mglogs-{yyyy.MM}"),
		"wrote "+logtransfer.RouteKey("mglogs"))
	mustContain(t, s.secureOK("route", "ls"), "mglogs")
	mustContain(t, s.secureOK("route", "get", "mglogs"), `"index": "mglogs-{yyyy.MM}"`)
	s.secureOK("status")
	// No agent runs: explain reads its tasks from the secured etcd and
	// says the file is not shipped (exit 1).
	r := s.run("explain", "--agent", "web-1", "/data/mg_1.log")
	s.noCanary("logctl explain", r.stdout+r.stderr)
	if r.code != ExitFailure {
		t.Errorf("explain with no agent running: exit %d, want %d", r.code, ExitFailure)
	}
	mustContain(t, r.stdout, "no status key", "task mg  matched (glob /data/mg_*.log", "verdict: NOT shipped")

	from, to := timeWindow()
	mustContain(t, s.secureOK("replay", "-route", "mglogs", "-from", from, "-to", to),
		"replay: read=5 created=5 duplicates=0 dead_letters=0")
	// Replayed documents become searchable at the index's next refresh
	// (Elasticsearch is near-real-time), as they would on a real cluster.
	devstack.WaitFor(t, 10*time.Second, "the replayed lines to be searchable", func() bool {
		return strings.Contains(s.secureOK("search", "secure", "--index", "mglogs-*"), "secure line 4")
	})
	s.secureOK("audit")

	cl, err := kgo.NewClient(append(s.kgoOpts(), kgo.ConsumerGroup("logtransfer-mglogs"), kgo.ConsumeTopics("mglogs"),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))...)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 5; {
		fs := cl.PollFetches(t.Context())
		n += fs.NumRecords()
		if err := cl.CommitUncommittedOffsets(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	mustContain(t, s.secureOK("lag", "-group", "logtransfer-mglogs"), "TOTAL")
	mustContain(t, s.secureOK("check"), "etcd ", "ok: 1 task(s)", "kafka topic mglogs (produce)", "elasticsearch privileges")

	mustContain(t, s.secureOK("task", "rm", "mg", "--agent", "all"), "removed")
	mustContain(t, s.secureOK("route", "rm", "mglogs"), "removed")

	// --help with every variable set shows no password as a default.
	r = s.run("-h")
	s.noCanary("logctl -h", r.stderr)
	mustContain(t, r.stderr, "--etcd-password", "LOGPIPE_KAFKA_PASSWORD")
}

// TestSecuredClusterSettingsSources reaches the secured stack with the
// settings from flags, from either daemon's ini file, and refuses wrong
// credentials without printing them.
func TestSecuredClusterSettingsSources(t *testing.T) {
	s := newSecured(t)
	s.secureOK("route", "add", "mglogs", "--topic", "mglogs")
	e := s.secEnv
	flags := []string{"--etcd", e[EnvEtcd], "--etcd-user", secEtcdUser, "--etcd-password", e["LOGPIPE_ETCD_PASSWORD"],
		"--etcd-ca", s.certs.CAFile, "--brokers", e[EnvBrokers], "--kafka-ca", s.certs.CAFile, "--kafka-sasl", "SCRAM-SHA-512",
		"--kafka-user", secKafkaUser, "--kafka-password", e["LOGPIPE_KAFKA_PASSWORD"],
		"--es", s.esURL, "--es-user", secESUser, "--es-password", e["LOGPIPE_ES_PASSWORD"], "--es-ca", s.certs.CAFile}
	agentINI := s.writeINI("logagent.ini", "[agent]\nid = web-1\nstate_dir = "+t.TempDir()+"\n", false)
	transferINI := s.writeINI("logtransfer.ini", "[transfer]\nstate_dir = "+t.TempDir()+"\n", true)

	s.env = map[string]string{}
	mustContain(t, s.secureOK(append(flags, "route", "ls")...), "mglogs")
	mustContain(t, s.secureOK(append(flags, "lag")...), "GROUP")
	mustContain(t, s.secureOK(append(flags, "search", "*")...), "MESSAGE")
	mustContain(t, s.secureOK("--config", transferINI, "route", "ls"), "mglogs")
	mustContain(t, s.secureOK("--config", transferINI, "search", "*"), "MESSAGE")
	mustContain(t, s.secureOK("lag", "--config", agentINI), "GROUP")
	s.env[EnvConfig] = agentINI
	mustContain(t, s.secureOK("status"), "no agent status")
	mustContain(t, s.secureOK("check"), "ok: logagent configuration, agent web-1", "under /logagent/web-1/")

	// Flags override the file: a wrong password is refused, and not echoed.
	for _, args := range [][]string{
		{"--etcd-password", "wrong-canary-pass", "route", "ls"},
		{"--kafka-password", "wrong-canary-pass", "lag"},
		{"--config", transferINI, "--es-password", "wrong-canary-pass", "search", "*"},
	} {
		r := s.run(args...)
		s.noCanary("logctl "+strings.Join(args, " "), r.stdout+r.stderr)
		if r.code != ExitFailure || strings.Contains(r.stderr, "wrong-canary-pass") {
			t.Errorf("logctl %v: exit %d, want %d without the password:\n%s", args, r.code, ExitFailure, r.stderr)
		}
	}
}

// TestSecuredURLPasswordNotEchoed checks that a password written into an
// Elasticsearch URL (https://user:pass@host) is not printed either.
func TestSecuredURLPasswordNotEchoed(t *testing.T) {
	s := newSecured(t)
	withPass := strings.Replace(s.esURL, "https://", "https://x:url-canary-pass@", 1)
	for _, args := range [][]string{
		{"--es-user", "", "--es-password", "", "--es", withPass, "search", "*"},
		{"--timeout", "300ms", "--es", "https://x:url-canary-pass@127.0.0.1:1", "check"},
	} {
		r := s.run(args...)
		if r.code != ExitFailure || strings.Contains(r.stdout+r.stderr, "url-canary-pass") {
			t.Errorf("logctl %v: exit %d, want %d without the password", args, r.code, ExitFailure)
		}
	}
}

// timeWindow is an RFC 3339 window around now, for replay.
func timeWindow() (from, to string) {
	now := time.Now()
	return now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)
}
