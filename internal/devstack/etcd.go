package devstack

import (
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Etcd is an embedded single-member etcd server.
type Etcd struct {
	mu         sync.Mutex
	dir        string
	clientPort int
	peerPort   int
	certs      *Certs // nil: clients connect in plaintext
	opts       []EtcdOption
	srv        *embed.Etcd
}

// EtcdOption configures an embedded etcd server.
type EtcdOption func(*embed.Config)

// AutoCompact has the server compact away revisions older than keep
// (--auto-compaction-mode=periodic, as production clusters run): without
// it every write stays in etcd's history, on disk and in its key index.
func AutoCompact(keep time.Duration) EtcdOption {
	return func(c *embed.Config) {
		c.AutoCompactionMode, c.AutoCompactionRetention = embed.CompactorModePeriodic, keep.String()
	}
}

// StartEtcd starts an etcd server keeping its data in dir.
func StartEtcd(dir string, opts ...EtcdOption) (*Etcd, error) { return startEtcd(dir, nil, opts...) }

// startEtcd starts a server serving clients over TLS with certs, or in
// plaintext when certs is nil.
func startEtcd(dir string, certs *Certs, opts ...EtcdOption) (*Etcd, error) {
	var lastErr error
	for range 5 {
		cp, err := FreePort()
		if err != nil {
			return nil, err
		}
		pp, err := FreePort()
		if err != nil {
			return nil, err
		}
		e := &Etcd{dir: dir, clientPort: cp, peerPort: pp, certs: certs, opts: opts}
		if lastErr = e.start(); lastErr == nil {
			return e, nil
		}
	}
	return nil, lastErr
}

func (e *Etcd) start() error {
	cfg := embed.NewConfig()
	cfg.Name = "devstack"
	cfg.Dir = e.dir
	cu, _ := url.Parse(e.Endpoint())
	pu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", e.peerPort))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	if e.certs != nil {
		cfg.ClientTLSInfo.CertFile, cfg.ClientTLSInfo.KeyFile = e.certs.CertFile, e.certs.KeyFile
		// The lowest bcrypt cost: every login pays it, and tests log in often.
		cfg.BcryptCost = 4
	}
	// Its shutdown logs errors about closed listeners: noise in test output.
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	for _, o := range e.opts {
		o(cfg)
	}
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("starting embedded etcd: %w", err)
	}
	select {
	case <-srv.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		srv.Close()
		return errors.New("embedded etcd not ready after 30s")
	}
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
	return nil
}

// Endpoint is the client URL, e.g. "http://127.0.0.1:41234" (https with TLS).
func (e *Etcd) Endpoint() string {
	scheme := "http"
	if e.certs != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://127.0.0.1:%d", scheme, e.clientPort)
}

// Client returns a new client of the server; the caller closes it.
func (e *Etcd) Client() (*clientv3.Client, error) { return e.ClientAs("", "") }

// ClientAs returns a new client logged in as user (none when empty),
// trusting the server's CA when it serves TLS; the caller closes it.
func (e *Etcd) ClientAs(user, password string) (*clientv3.Client, error) {
	cfg := clientv3.Config{Endpoints: []string{e.Endpoint()}, DialTimeout: 5 * time.Second,
		Username: user, Password: password, Logger: zap.NewNop()}
	if e.certs != nil {
		cfg.TLS = e.certs.Client()
	}
	return clientv3.New(cfg)
}

// Stop shuts the server down; its data stays for Restart.
func (e *Etcd) Stop() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart starts a stopped server again on the same ports with its data.
func (e *Etcd) Restart() error { return e.start() }

// NewEtcd starts an etcd server for the test and stops it at cleanup.
func NewEtcd(tb testing.TB) *Etcd {
	tb.Helper()
	e, err := StartEtcd(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Stop)
	return e
}

// NewEtcdClient returns a client of e closed at cleanup.
func NewEtcdClient(tb testing.TB, e *Etcd) *clientv3.Client {
	tb.Helper()
	cli, err := e.Client()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cli.Close() })
	return cli
}
