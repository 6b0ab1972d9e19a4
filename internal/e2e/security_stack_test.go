//go:build linux

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/twmb/franz-go/pkg/kfake"
)

// secrets are the passwords of the secured stack. Each is a canary: it
// must reach its server and nowhere else.
type secrets struct{ kafka, etcd, es, etcdRoot string }

func newSecrets() secrets {
	tag := fmt.Sprintf("%d", os.Getpid())
	return secrets{kafka: "kafka-canary-K4fk" + tag, etcd: "etcd-canary-E7cd" + tag,
		es: "es-canary-E5es" + tag, etcdRoot: "etcd-root-canary-R00t" + tag}
}

const (
	kafkaUser = "shipper"
	etcdUser  = "logpipe"
	esUser    = "indexer"
)

// secureStack is one Kafka cluster with a TLS listener and SCRAM-SHA-512,
// etcd over TLS with users, and the ES-API stand-in behind TLS and basic
// auth. Both daemons use the one cluster: the mirror (internal/mirror) has
// no TLS or SASL settings, so it cannot join a secured cluster.
type secureStack struct {
	dir, logs string
	sec       secrets
	certs     *devstack.Certs
	etcd      *devstack.SecureEtcd
	kafka     *devstack.Kafka
	es        *esdev.Server
	esURL     string
	esDenied  atomic.Int64 // requests refused for missing or wrong credentials
	agent     *daemon
	transfer  *daemon
	agentHTTP string
	xferHTTP  string
}

func newSecureStack(t *testing.T) *secureStack {
	s := &secureStack{dir: t.TempDir(), sec: newSecrets(), certs: devstack.NewCerts(t)}
	s.logs = filepath.Join(s.dir, "logs")
	if err := os.Mkdir(s.logs, 0o750); err != nil {
		t.Fatal(err)
	}
	s.etcd = devstack.NewSecureEtcd(t, s.certs, s.sec.etcdRoot, devstack.EtcdUser{
		Name: etcdUser, Password: s.sec.etcd, Prefixes: []string{logagent.KeyRoot, "/logtransfer/"}})
	s.kafka = devstack.NewKafka(t, kfake.TLS(s.certs.Server), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", kafkaUser, s.sec.kafka))
	s.es = esdev.New()
	srv := httptest.NewUnstartedServer(s.basicAuth(s.es.Handler()))
	srv.TLS = s.certs.Server.Clone()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.esURL = srv.URL
	return s
}

// basicAuth lets through only requests carrying the indexer's password.
func (s *secureStack) basicAuth(h http.Handler) http.Handler {
	return esdev.BasicAuth(esUser, s.sec.es, h, &s.esDenied)
}

// secureINI turns one of the suite's ini files (agentINI, transferINI)
// into its secured variant: every connection verifies its server by the
// test CA, every password is a canary, and the log is at debug, so that
// anything that could print a secret runs.
func (s *secureStack) secureINI(ini string, extra map[string][]string) string {
	keys := map[string][]string{
		"etcd": {"username = " + etcdUser, "password = " + s.sec.etcd, "tls_ca_file = " + s.certs.CAFile},
		"kafka": {"tls_enable = true", "tls_ca_file = " + s.certs.CAFile, "sasl_mechanism = SCRAM-SHA-512",
			"sasl_username = " + kafkaUser, "sasl_password = " + s.sec.kafka},
	}
	for section, lines := range extra {
		keys[section] = append(keys[section], lines...)
	}
	for section, lines := range keys {
		head := "[" + section + "]\n"
		ini = strings.Replace(ini, head, head+strings.Join(lines, "\n")+"\n", 1)
	}
	return strings.Replace(ini, "level = warn", "level = debug", 1)
}

// startDaemons writes both ini files, puts the task and the route (as
// root) and starts the binaries.
func (s *secureStack) startDaemons(t *testing.T, topic string) {
	agentIni, transferIni := s.writeINIs(t, topic)
	s.transfer = newDaemon(t, s.dir, "logtransfer", transferIni)
	s.transfer.start()
	s.agent = newDaemon(t, s.dir, "logagent", agentIni)
	s.agent.start()
	for _, d := range []*daemon{s.agent, s.transfer} {
		pid := pidOf(d)
		devstack.WaitFor(t, 20*time.Second, d.name+"'s /metrics listener", func() bool {
			_, err := listenAddr(pid)
			return err == nil
		})
	}
	s.agentHTTP, _ = listenAddr(pidOf(s.agent))
	s.xferHTTP, _ = listenAddr(pidOf(s.transfer))
}

// writeINIs writes both daemons' secured ini files and puts the task and
// the route for topic (as root); it returns the files' paths.
func (s *secureStack) writeINIs(t *testing.T, topic string) (agentIni, transferIni string) {
	brokers := strings.Join(s.kafka.Addrs(), ",")
	agentIni, transferIni = filepath.Join(s.dir, "logagent.ini"), filepath.Join(s.dir, "logtransfer.ini")
	for path, body := range map[string]string{
		agentIni: s.secureINI(fmt.Sprintf(agentINI, agentID, filepath.Join(s.dir, "agent"), s.logs,
			s.etcd.Endpoint(), brokers), nil),
		transferIni: s.secureINI(fmt.Sprintf(transferINI, transferID, filepath.Join(s.dir, "transfer"), s.esURL,
			s.etcd.Endpoint(), brokers), map[string][]string{
			"elasticsearch": {"username = " + esUser, "password = " + s.sec.es, "tls_ca_file = " + s.certs.CAFile}}),
	} {
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cli, err := s.etcd.RootClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	task := fmt.Sprintf(`{"path":%q,"topic":%q}`, filepath.Join(s.logs, "*.log"), topic)
	for k, v := range map[string]string{logagent.TaskKey(agentID, "sec"): task,
		logtransfer.RouteKey(topic): fmt.Sprintf(`{"topic":%q}`, topic)} {
		if _, err := cli.Put(t.Context(), k, v); err != nil {
			t.Fatalf("putting %s as root: %v", k, err)
		}
	}
	return agentIni, transferIni
}
