package check

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/logpipe/logpipe/logagent"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// readKeys reads the keys the daemon follows and decodes them with the
// daemons' own decoders; a key they would refuse is not an error here
// (logctl task ls and status show it), its topic is just not checked.
func (p Plan) readKeys(ctx context.Context) (n Needs, summary string, err error) {
	cfg, err := p.Etcd.ClientConfig()
	if err != nil {
		return n, "", err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return n, "", err
	}
	defer cli.Close()
	var parts []string
	if p.Tasks {
		prefixes := []string{logagent.KeyRoot}
		if p.Agent != "" {
			prefixes = []string{logagent.KeyRoot + p.Agent + "/", logagent.TaskKey(logagent.AllAgents, "")}
		}
		tasks := 0
		for _, prefix := range prefixes {
			resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
			if err != nil {
				return n, "", fmt.Errorf("reading %s: %w", prefix, err)
			}
			for _, kv := range resp.Kvs {
				agent, name, classic, ok := logagent.ParseKey(string(kv.Key))
				if !ok || (name == "" && !classic) {
					continue
				}
				ts, err := logagent.DecodeKey(agent, string(kv.Key), kv.Value, nil)
				if err != nil {
					continue
				}
				for _, t := range ts {
					tasks++
					n.Produce = append(n.Produce, t.Topic)
				}
			}
		}
		parts = append(parts, fmt.Sprintf("%d task(s) under %s", tasks, strings.Join(prefixes, " and ")))
	}
	if p.Routes != nil {
		part, err := p.Routes(ctx, cli, p.Kafka, &n)
		if err != nil {
			return n, "", err
		}
		parts = append(parts, part)
	}
	n.Produce, n.Consume, n.Indices, n.Groups = uniq(n.Produce), uniq(n.Consume), uniq(n.Indices), uniq(n.Groups)
	return n, strings.Join(parts, ", "), nil
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
