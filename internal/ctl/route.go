package ctl

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func routeCommands() []command {
	return editCommands("route", "list routes", runRouteAdd, runRouteGet, runRouteLs, runRouteRm)
}

// routeFlags are the flags that build a route field by field.
type routeFlags struct {
	route    logtransfer.Route
	replicas int
}

func (rf *routeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&rf.route.Topic, "topic", "", "Kafka topic to consume (required)")
	fs.StringVar(&rf.route.Index, "index", "", "target index, may hold {yyyy.MM.dd}, {yyyy.MM} or {yyyy} (default <topic>-{yyyy.MM.dd})")
	fs.StringVar(&rf.route.Format, "format", "", "raw (default), json or regex")
	fs.StringVar(&rf.route.Pattern, "pattern", "", "RE2 pattern with named groups, for --format regex")
	fs.StringVar(&rf.route.TimeField, "time-field", "", "parsed field holding the event time")
	fs.StringVar(&rf.route.TimeLayout, "time-layout", "", "Go layout, unix, unix_ms or rfc3339 (default)")
	fs.IntVar(&rf.route.RetentionDays, "retention-days", 0, "delete indices after N days (ILM policy)")
	fs.IntVar(&rf.route.Shards, "shards", 0, "number_of_shards in the index template")
	fs.IntVar(&rf.replicas, "replicas", 0, "number_of_replicas in the index template")
}

// build returns the route the flags describe; set names the flags given.
func (rf *routeFlags) build(set map[string]bool) any {
	r := rf.route
	if set["replicas"] {
		r.Replicas = &rf.replicas
	}
	return r
}

func runRouteAdd(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl route add", "NAME (--topic T [flags] | --json '{...}')",
		"Validates the route exactly as logtransfer does (logtransfer.DecodeRoute) and writes it\n"+
			"to "+logtransfer.RouteKey("<name>")+". A route logtransfer would reject is refused with the\n"+
			"reason (exit 2) and nothing is written.")
	raw := fs.String("json", "", "the whole route as JSON, instead of the field flags")
	replace := fs.Bool("replace", false, "overwrite an existing route of that name")
	rf := &routeFlags{}
	rf.register(fs)
	pos, err := c.parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	name := pos[0]
	if err := checkName("route", name); err != nil {
		return err
	}
	value, err := flagsOrJSON(fs, *raw, (&routeFlags{}).register, rf.build)
	if err != nil {
		return err
	}
	if err := logtransfer.ValidateRouteName(name); err != nil {
		return refusedError{what: "route " + name, err: err}
	}
	if _, err := logtransfer.DecodeRoute(value); err != nil {
		return refusedError{what: "route " + name, err: err}
	}
	// Stored compact and without the defaults DecodeRoute fills in, which
	// stay logtransfer's to apply; the strict decode above vouches for it.
	var stored logtransfer.Route
	if err := json.Unmarshal(value, &stored); err != nil {
		return err
	}
	if value, err = marshal(stored); err != nil {
		return err
	}
	key := logtransfer.RouteKey(name)
	return c.putKey(ctx, "route", key, value, *replace)
}

// routeEntry is one listed route, with logtransfer's defaults filled in.
type routeEntry struct {
	entry
	Route *logtransfer.Route `json:"route,omitempty"`
}

func newRouteEntry(name, key string, rev int64, value []byte) routeEntry {
	e := routeEntry{entry: entry{Key: key, Name: name, Revision: rev}}
	r, err := logtransfer.DecodeRoute(value)
	if err != nil {
		e.Raw, e.Invalid = string(value), err.Error()
		return e
	}
	e.Route = &r
	return e
}

func runRouteGet(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl route get", "NAME", "Shows the route stored at "+logtransfer.RouteKey("<name>")+", with logtransfer's defaults filled in.")
	pos, err := c.parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	key := logtransfer.RouteKey(pos[0])
	return c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kv, err := store{c, cli}.get(ctx, "route "+pos[0], key)
		if err != nil {
			return err
		}
		e := newRouteEntry(pos[0], key, kv.ModRevision, kv.Value)
		if c.asJSON {
			return writeJSON(c.stdout, e)
		}
		return showEntry(c, e.entry, e.Route)
	})
}

func runRouteLs(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl route ls", "", "Lists the routes in etcd; NOTE says why logtransfer would refuse a value.")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var list []routeEntry
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kvs, _, err := store{c, cli}.list(ctx, logtransfer.RoutePrefix)
		for _, kv := range kvs {
			name := strings.TrimPrefix(string(kv.Key), logtransfer.RoutePrefix)
			list = append(list, newRouteEntry(name, string(kv.Key), kv.ModRevision, kv.Value))
		}
		return err
	})
	if err != nil {
		return err
	}
	slices.SortFunc(list, func(a, b routeEntry) int { return strings.Compare(a.Name, b.Name) })
	if c.asJSON {
		return writeJSON(c.stdout, nonNil(list))
	}
	t := newTable(c.stdout, "NAME", "TOPIC", "INDEX", "FORMAT", "RETENTION", "REV", "NOTE")
	for _, e := range list {
		if e.Route == nil {
			t.row(e.Name, "-", "-", "-", "-", e.Revision, e.note())
			continue
		}
		retention := "-"
		if e.Route.RetentionDays > 0 {
			retention = fmt.Sprintf("%dd", e.Route.RetentionDays)
		}
		t.row(e.Name, e.Route.Topic, e.Route.Index, e.Route.Format, retention, e.Revision, e.note())
	}
	return t.flush()
}

func runRouteRm(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl route rm", "NAME", "Removes the route: logtransfer drains and stops its consumer group.")
	pos, err := c.parse(fs, args, "NAME")
	if err != nil {
		return err
	}
	key := logtransfer.RouteKey(pos[0])
	return c.removeKey(ctx, "route "+pos[0], key)
}
