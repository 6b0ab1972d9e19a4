package ctl

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/check"
	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// readRoutes is the check's etcd step for the transfer's routes
// (check.Plan.Routes): each route's topic, consumer group and index
// pattern, decoded with the transfer's own decoder; a route it would refuse
// is skipped.
func readRoutes(ctx context.Context, cli *clientv3.Client, kafka conf.Kafka, n *check.Needs) (string, error) {
	resp, err := cli.Get(ctx, logtransfer.RoutePrefix, clientv3.WithPrefix())
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", logtransfer.RoutePrefix, err)
	}
	routes := 0
	for _, kv := range resp.Kvs {
		r, err := logtransfer.DecodeRoute(kv.Value)
		if err != nil {
			continue
		}
		routes++
		// NOTE: as logtransfer names its groups (transfer.go, newRunner).
		n.Groups = append(n.Groups, kafka.Group+"-"+strings.TrimPrefix(string(kv.Key), logtransfer.RoutePrefix))
		n.Consume = append(n.Consume, r.Topic)
		n.Indices = append(n.Indices, indexPattern(r.Index))
	}
	return fmt.Sprintf("%d route(s) under %s", routes, logtransfer.RoutePrefix), nil
}

var datePart = regexp.MustCompile(`\{[^}]*\}`)

// indexPattern turns a route's index name (mglogs-{yyyy.MM.dd}) into the
// pattern of the indices it writes (mglogs-*).
func indexPattern(index string) string { return datePart.ReplaceAllString(index, "*") }
