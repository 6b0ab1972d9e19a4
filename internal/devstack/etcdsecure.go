package devstack

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// SecureEtcd is an embedded etcd server that serves clients over TLS only
// and has authentication enabled: a root user for the test itself and
// users confined to the key prefixes they were given, as a production
// cluster would give each daemon its own.
type SecureEtcd struct {
	*Etcd
	rootPass string
}

// EtcdUser is a user SecureEtcd creates, with read-write access to the
// keys under each of Prefixes.
type EtcdUser struct {
	Name, Password string
	Prefixes       []string
}

// StartSecureEtcd starts the server with its data in dir, serving certs,
// then creates root (password rootPass) and users, and enables auth.
func StartSecureEtcd(dir string, certs *Certs, rootPass string, users ...EtcdUser) (*SecureEtcd, error) {
	e, err := startEtcd(dir, certs)
	if err != nil {
		return nil, err
	}
	s := &SecureEtcd{Etcd: e, rootPass: rootPass}
	if err := s.enableAuth(users); err != nil {
		e.Stop()
		return nil, err
	}
	return s, nil
}

// enableAuth creates root and the users with their roles, then turns
// authentication on: from then every request needs a user.
func (s *SecureEtcd) enableAuth(users []EtcdUser) error {
	cli, err := s.Client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	steps := []func() error{
		func() error { _, err := cli.UserAdd(ctx, "root", s.rootPass); return err },
		func() error { _, err := cli.UserGrantRole(ctx, "root", "root"); return err },
	}
	for _, u := range users {
		role := u.Name + "-rw"
		steps = append(steps,
			func() error { _, err := cli.RoleAdd(ctx, role); return err },
			func() error { _, err := cli.UserAdd(ctx, u.Name, u.Password); return err },
			func() error { _, err := cli.UserGrantRole(ctx, u.Name, role); return err })
		for _, p := range u.Prefixes {
			steps = append(steps, func() error {
				_, err := cli.RoleGrantPermission(ctx, role, p, clientv3.GetPrefixRangeEnd(p), clientv3.PermissionType(clientv3.PermReadWrite))
				return err
			})
		}
	}
	steps = append(steps, func() error { _, err := cli.AuthEnable(ctx); return err })
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("setting up etcd auth: %w", err)
		}
	}
	return nil
}

// RootClient is a client logged in as root; the caller closes it.
func (s *SecureEtcd) RootClient() (*clientv3.Client, error) { return s.ClientAs("root", s.rootPass) }

// NewSecureEtcd starts a SecureEtcd for the test and stops it at cleanup.
func NewSecureEtcd(tb testing.TB, certs *Certs, rootPass string, users ...EtcdUser) *SecureEtcd {
	tb.Helper()
	e, err := StartSecureEtcd(tb.TempDir(), certs, rootPass, users...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Stop)
	return e
}
