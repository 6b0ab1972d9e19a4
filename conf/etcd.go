package conf

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults of the [etcd] section.
const (
	DefaultEtcdEndpoint    = "127.0.0.1:2379"
	DefaultEtcdDialTimeout = 5 * time.Second
)

// Etcd is the [etcd] section: where both daemons read their tasks and routes
// and write their status.
type Etcd struct {
	Endpoints   []string      `ini:"endpoints" delim:","`
	DialTimeout time.Duration `ini:"dial_timeout"`
	Username    string        `ini:"username"`
	Password    string        `ini:"password"`

	TLSEnable             bool   `ini:"tls_enable"`
	TLSCAFile             string `ini:"tls_ca_file"`
	TLSCertFile           string `ini:"tls_cert_file"`
	TLSKeyFile            string `ini:"tls_key_file"`
	TLSInsecureSkipVerify bool   `ini:"tls_insecure_skip_verify"`
}

// DefaultEtcd returns the [etcd] section's defaults.
func DefaultEtcd() Etcd {
	return Etcd{Endpoints: []string{DefaultEtcdEndpoint}, DialTimeout: DefaultEtcdDialTimeout}
}

func (e Etcd) tls() TLS {
	return TLS{Enable: e.TLSEnable, CAFile: e.TLSCAFile, CertFile: e.TLSCertFile, KeyFile: e.TLSKeyFile, InsecureSkipVerify: e.TLSInsecureSkipVerify}
}

// Validate reports every problem of the section.
func (e Etcd) Validate() error {
	var errs []error
	if len(e.Endpoints) == 0 {
		errs = append(errs, fieldErr("etcd", "endpoints", "at least one endpoint is required"))
	}
	for _, ep := range e.Endpoints {
		if ep == "" {
			errs = append(errs, fieldErr("etcd", "endpoints", "empty endpoint"))
			continue
		}
		if _, err := url.Parse("//" + trimScheme(ep)); err != nil {
			errs = append(errs, fieldErr("etcd", "endpoints", "%q: %v", ep, err))
		}
	}
	if e.DialTimeout <= 0 {
		errs = append(errs, fieldErr("etcd", "dial_timeout", "must be positive, got %s", e.DialTimeout))
	}
	if (e.Username == "") != (e.Password == "") {
		errs = append(errs, fieldErr("etcd", "username", "username and password must be set together"))
	}
	errs = append(errs, e.tls().validate("etcd")...)
	return errors.Join(errs...)
}

// ClientConfig translates the section into an etcd client configuration.
func (e Etcd) ClientConfig() (clientv3.Config, error) {
	tc, err := e.tls().Config()
	if err != nil {
		return clientv3.Config{}, fmt.Errorf("etcd tls: %w", err)
	}
	return clientv3.Config{
		Endpoints:   e.Endpoints,
		DialTimeout: e.DialTimeout,
		Username:    e.Username,
		Password:    e.Password,
		TLS:         tc,
		// NOTE: without keepalives a half-open connection to a dead member
		// would leave the watch silent instead of failing over.
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 5 * time.Second,
		Logger:               nopZap(),
	}, nil
}

func trimScheme(s string) string {
	for _, p := range []string{"http://", "https://", "unix://"} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}
