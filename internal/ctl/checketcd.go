package ctl

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// needs is what the keys read from etcd ask of Kafka and Elasticsearch.
type needs struct {
	summary string
	// produce and consume are the topics of tasks and of routes.
	produce, consume []string
	// indices are the routes' index names as patterns (mglogs-*).
	indices []string
	// groups are the routes' consumer groups.
	groups []string
}

// readKeys reads the keys the daemon follows and decodes them with the
// daemons' own decoders; a key they would refuse is not an error here
// (logctl task ls and status show it), its topic is just not checked.
func (p checkPlan) readKeys(ctx context.Context) (needs, error) {
	var n needs
	cfg, err := p.etcd.ClientConfig()
	if err != nil {
		return n, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return n, err
	}
	defer cli.Close()
	var parts []string
	if p.tasks {
		prefixes := []string{logagent.KeyRoot}
		if p.agent != "" {
			prefixes = []string{logagent.KeyRoot + p.agent + "/", logagent.TaskKey(logagent.AllAgents, "")}
		}
		tasks := 0
		for _, prefix := range prefixes {
			resp, err := cli.Get(ctx, prefix, clientv3.WithPrefix())
			if err != nil {
				return n, fmt.Errorf("reading %s: %w", prefix, err)
			}
			for _, kv := range resp.Kvs {
				agent, name, classic, ok := parseTaskKey(string(kv.Key))
				if !ok || (name == "" && !classic) {
					continue
				}
				for _, te := range taskEntries(agent, name, string(kv.Key), kv.ModRevision, kv.Value, nil) {
					if te.Task != nil && te.Invalid == "" {
						tasks++
						n.produce = append(n.produce, te.Task.Topic)
					}
				}
			}
		}
		parts = append(parts, fmt.Sprintf("%d task(s) under %s", tasks, strings.Join(prefixes, " and ")))
	}
	if p.routes {
		resp, err := cli.Get(ctx, logtransfer.RoutePrefix, clientv3.WithPrefix())
		if err != nil {
			return n, fmt.Errorf("reading %s: %w", logtransfer.RoutePrefix, err)
		}
		routes := 0
		for _, kv := range resp.Kvs {
			r, err := logtransfer.DecodeRoute(kv.Value)
			if err != nil {
				continue
			}
			routes++
			// NOTE: as logtransfer names its groups (transfer.go, newRunner).
			n.groups = append(n.groups, p.kafka.Group+"-"+strings.TrimPrefix(string(kv.Key), logtransfer.RoutePrefix))
			n.consume = append(n.consume, r.Topic)
			n.indices = append(n.indices, indexPattern(r.Index))
		}
		parts = append(parts, fmt.Sprintf("%d route(s) under %s", routes, logtransfer.RoutePrefix))
	}
	n.produce, n.consume, n.indices, n.groups = uniq(n.produce), uniq(n.consume), uniq(n.indices), uniq(n.groups)
	n.summary = strings.Join(parts, ", ")
	return n, nil
}

var datePart = regexp.MustCompile(`\{[^}]*\}`)

// indexPattern turns a route's index name (mglogs-{yyyy.MM.dd}) into the
// pattern of the indices it writes (mglogs-*).
func indexPattern(index string) string { return datePart.ReplaceAllString(index, "*") }

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// oneLine keeps a result on its line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func joinComma(s []string) string { return strings.Join(s, ",") }
