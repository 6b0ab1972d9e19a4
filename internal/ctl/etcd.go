package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// etcd connects with the daemons' [etcd] settings (TLS, user) as resolved
// from --config, LOGPIPE_* and flags. clientv3.New does not dial
// synchronously, so the first call (bounded by ctx) is where an
// unreachable etcd shows; etcdErr words that error.
func (c *cli) etcd() (*clientv3.Client, error) {
	e := c.conns.Etcd
	e.DialTimeout = c.g.timeout
	if err := e.Validate(); err != nil {
		return nil, refusedError{what: "etcd settings", err: err}
	}
	cfg, err := e.ClientConfig()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, c.etcdErr(err)
	}
	return cli, nil
}

// etcdErr says "etcd ADDR unreachable" when err is a timeout or a refused
// connection, so the operator knows which service to look at.
func (c *cli) etcdErr(err error) error {
	if unreachable(err) {
		return fmt.Errorf("etcd %s unreachable: %w", c.conns.etcdAddr(), err)
	}
	return fmt.Errorf("etcd %s: %w", c.conns.etcdAddr(), err)
}

// unreachable reports whether err means the service did not answer in time.
// NOTE: the etcd client waits for a connection until the deadline instead
// of failing on a refused one, so a down etcd shows as a deadline.
func unreachable(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

// withEtcd runs fn with a client and a context bounded by --timeout.
func (c *cli) withEtcd(ctx context.Context, fn func(ctx context.Context, cli *clientv3.Client) error) error {
	cli, err := c.etcd()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	return fn(ctx, cli)
}

// store is the etcd side of task and route editing: one JSON value per key.
type store struct {
	c   *cli
	cli *clientv3.Client
}

// put writes value at key. Unless replace is set it refuses to overwrite a
// key that exists, so a reused name does not silently replace a task.
func (s store) put(ctx context.Context, key, value string, replace bool) (int64, error) {
	if replace {
		resp, err := s.cli.Put(ctx, key, value)
		if err != nil {
			return 0, s.c.etcdErr(err)
		}
		return resp.Header.Revision, nil
	}
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, value)).
		Commit()
	if err != nil {
		return 0, s.c.etcdErr(err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("%s exists: use --replace to overwrite it", key)
	}
	return resp.Header.Revision, nil
}

// get returns the key's value; a missing key is an error naming it.
func (s store) get(ctx context.Context, what, key string) (*mvccpb.KeyValue, error) {
	resp, err := s.cli.Get(ctx, key)
	if err != nil {
		return nil, s.c.etcdErr(err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%s: no key %s", what, key)
	}
	return resp.Kvs[0], nil
}

// list returns every key under prefix and the store's revision.
func (s store) list(ctx context.Context, prefix string) ([]*mvccpb.KeyValue, int64, error) {
	resp, err := s.cli.Get(ctx, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, 0, s.c.etcdErr(err)
	}
	return resp.Kvs, resp.Header.Revision, nil
}

// remove deletes key; a missing key is an error naming it.
func (s store) remove(ctx context.Context, what, key string) error {
	resp, err := s.cli.Delete(ctx, key)
	if err != nil {
		return s.c.etcdErr(err)
	}
	if resp.Deleted == 0 {
		return fmt.Errorf("%s: no key %s", what, key)
	}
	return nil
}

// checkName refuses names that would change the key layout.
func checkName(kind, name string) error {
	if name == "" || strings.ContainsAny(name, "/ \t\n") {
		return refusedError{what: kind + " " + name, err: errors.New("name must be non-empty, without '/' or spaces")}
	}
	return nil
}

// putKey writes a validated value and reports it; field names the value
// in the JSON output.
func (c *cli) putKey(ctx context.Context, field, key string, value []byte, replace bool) error {
	return c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		rev, err := store{c, cli}.put(ctx, key, string(value), replace)
		if err != nil {
			return err
		}
		if c.asJSON {
			return writeJSON(c.stdout, map[string]any{"key": key, "revision": rev, field: json.RawMessage(value)})
		}
		_, err = fmt.Fprintf(c.stdout, "wrote %s (etcd revision %d)\n", key, rev)
		return err
	})
}

// removeKey deletes key and reports it.
func (c *cli) removeKey(ctx context.Context, what, key string) error {
	return c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		if err := (store{c, cli}).remove(ctx, what, key); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.stdout, "removed %s\n", key)
		return err
	})
}
