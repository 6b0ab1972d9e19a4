package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
	"github.com/olivere/elastic/v7"
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

// Kafka ACL operations, as bits of a metadata response's authorized
// operations (KIP-430).
const (
	aclRead  = 3
	aclWrite = 4
)

// checkKafka connects, then checks each topic the keys name.
func (p checkPlan) checkKafka(ctx context.Context, step stepFunc, n needs, etcdOK bool) {
	k := p.kafka
	k.Timeout = p.timeout
	sc, err := k.Sarama()
	var client sarama.Client
	mode := "plaintext"
	if sc != nil && sc.Net.TLS.Enable {
		mode = "TLS"
	}
	if k.SASLMechanism != "" {
		mode += ", SASL " + k.SASLMechanism + " as " + k.SASLUsername
	}
	ok := step("kafka "+joinComma(k.Brokers), func(ctx context.Context) (string, error) {
		if err != nil {
			return "", err
		}
		sc.ClientID = "logpipe-check"
		sc.Metadata.Retry.Max = 0
		client, err = bounded(ctx, func() (sarama.Client, error) { return sarama.NewClient(k.Brokers, sc) })
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d broker(s), %s", len(client.Brokers()), mode), nil
	})
	if !ok {
		return
	}
	defer client.Close()
	if !etcdOK {
		step("kafka topics", func(context.Context) (string, error) {
			return "", errors.New("not checked: the topics come from etcd, which failed")
		})
		return
	}
	for _, t := range n.produce {
		step("kafka topic "+t+" (produce)", func(ctx context.Context) (string, error) {
			return bounded(ctx, func() (string, error) { return topicCheck(client, sc, t, aclWrite) })
		})
	}
	for _, t := range n.consume {
		if slices.Contains(n.produce, t) {
			continue
		}
		step("kafka topic "+t+" (consume)", func(ctx context.Context) (string, error) {
			return bounded(ctx, func() (string, error) { return topicCheck(client, sc, t, aclRead) })
		})
	}
	for _, g := range n.groups {
		step("kafka group "+g+" (consume)", func(ctx context.Context) (string, error) {
			return bounded(ctx, func() (string, error) { return groupCheck(client, sc, g) })
		})
	}
}

// groupCheck asks the group's coordinator whether this client may use
// group (read: join it and commit offsets), where the broker reports it.
func groupCheck(client sarama.Client, sc *sarama.Config, group string) (string, error) {
	b, err := client.Coordinator(group)
	if err != nil {
		return "", err
	}
	req := &sarama.DescribeGroupsRequest{Groups: []string{group}}
	if sc.Version.IsAtLeast(sarama.V2_3_0_0) {
		req.Version, req.IncludeAuthorizedOperations = 3, true
	}
	resp, err := b.DescribeGroups(req)
	if err != nil {
		return "", err
	}
	if len(resp.Groups) != 1 {
		return "", fmt.Errorf("the broker answered for %d groups", len(resp.Groups))
	}
	g := resp.Groups[0]
	if g.Err != sarama.ErrNoError && !errors.Is(g.Err, sarama.ErrGroupIDNotFound) {
		return "", g.Err
	}
	detail := "state " + orDash(g.State)
	if g.State == "Dead" || errors.Is(g.Err, sarama.ErrGroupIDNotFound) {
		detail = "no such group yet (logtransfer creates it when it joins)"
	}
	switch ops := g.AuthorizedOperations; {
	case !req.IncludeAuthorizedOperations || ops == math.MinInt32:
		detail += ", permission not reported by the broker"
	case ops&(1<<aclRead) == 0:
		return "", fmt.Errorf("%s, but this client may not join it or commit its offsets (authorized operations %#x)", detail, ops)
	default:
		detail += ", join and commit allowed"
	}
	return detail, nil
}

// topicCheck asks a broker about topic without creating it: it exists (or
// may be created on first write) and, where the broker reports authorized
// operations, op is allowed.
func topicCheck(client sarama.Client, sc *sarama.Config, topic string, op uint) (string, error) {
	b, err := client.Controller()
	if err != nil {
		return "", err
	}
	req := sarama.NewMetadataRequest(sc.Version, []string{topic})
	req.AllowAutoTopicCreation = false
	req.IncludeTopicAuthorizedOperations = req.Version >= 8
	resp, err := b.GetMetadata(req)
	if err != nil {
		return "", err
	}
	if len(resp.Topics) != 1 {
		return "", fmt.Errorf("the broker answered for %d topics", len(resp.Topics))
	}
	t := resp.Topics[0]
	switch {
	case errors.Is(t.Err, sarama.ErrUnknownTopicOrPartition):
		if autoCreate, known := brokerAutoCreate(b); known && !autoCreate {
			return "", errors.New("does not exist, and the broker's auto.create.topics.enable is false: create it")
		}
		return "not created yet: the first write creates it if the broker allows (auto.create.topics.enable)", nil
	case t.Err != sarama.ErrNoError:
		return "", t.Err
	}
	detail := fmt.Sprintf("%d partition(s)", len(t.Partitions))
	verb := map[uint]string{aclRead: "read", aclWrite: "write"}[op]
	switch ops := t.TopicAuthorizedOperations; {
	case !req.IncludeTopicAuthorizedOperations || ops == math.MinInt32:
		detail += ", " + verb + " permission not reported by the broker"
	case ops&(1<<op) == 0:
		return "", fmt.Errorf("%s, but this client may not %s it (authorized operations %#x)", detail, verb, ops)
	default:
		detail += ", " + verb + " allowed"
	}
	return detail, nil
}

// brokerAutoCreate reads the broker's auto.create.topics.enable; known is
// false when the broker does not say.
func brokerAutoCreate(b *sarama.Broker) (autoCreate, known bool) {
	resp, err := b.DescribeConfigs(&sarama.DescribeConfigsRequest{
		Resources: []*sarama.ConfigResource{{Type: sarama.BrokerResource, Name: fmt.Sprint(b.ID()), ConfigNames: []string{"auto.create.topics.enable"}}},
	})
	if err != nil || len(resp.Resources) != 1 {
		return false, false
	}
	for _, e := range resp.Resources[0].Configs {
		if e.Name == "auto.create.topics.enable" {
			return e.Value == "true", true
		}
	}
	return false, false
}

// checkES checks the cluster logtransfer writes to.
func (p checkPlan) checkES(step stepFunc, n needs) {
	e := *p.es
	e.Timeout = p.timeout
	var es *elastic.Client
	ok := step("elasticsearch "+redactURLs(e.URLs), func(ctx context.Context) (string, error) {
		var err error
		if es, err = e.Client(slog.New(slog.DiscardHandler)); err != nil {
			return "", err
		}
		res, code, err := es.Ping(e.URLs[0]).Do(ctx)
		if err != nil {
			return "", err
		}
		if code != http.StatusOK {
			return "", fmt.Errorf("HTTP %d %s", code, http.StatusText(code))
		}
		return fmt.Sprintf("version %s, cluster %s", res.Version.Number, res.ClusterName), nil
	})
	if !ok {
		return
	}
	defer es.Stop()
	step("elasticsearch cluster health", func(ctx context.Context) (string, error) {
		h, err := es.ClusterHealth().Do(ctx)
		if err != nil {
			return "", err
		}
		if h.Status == "red" {
			return "", fmt.Errorf("red: %d unassigned shard(s)", h.UnassignedShards)
		}
		return fmt.Sprintf("%s, %d node(s)", h.Status, h.NumberOfNodes), nil
	})
	step("elasticsearch privileges", func(ctx context.Context) (string, error) { return esPrivileges(ctx, es, n.indices) })
	step("elasticsearch index templates", func(ctx context.Context) (string, error) {
		res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: http.MethodGet,
			Path: "/_index_template/logpipe-*", IgnoreErrors: []int{http.StatusNotFound}})
		if err != nil {
			return "", err
		}
		if res.StatusCode == http.StatusNotFound {
			return "none yet (logtransfer writes logpipe-<route> when a route starts)", nil
		}
		var body struct {
			IndexTemplates []struct{ Name string } `json:"index_templates"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d logpipe-* template(s) readable", len(body.IndexTemplates)), nil
	})
}

// esPrivileges asks the security API whether the user may manage index
// templates and ILM policies and create documents and indices of the
// routes' patterns. A cluster without security (or the stand-in) cannot
// tell, which is not a failure.
func esPrivileges(ctx context.Context, es *elastic.Client, indices []string) (string, error) {
	body := map[string]any{"cluster": []string{"manage_index_templates", "manage_ilm"}}
	if len(indices) > 0 {
		body["index"] = []map[string]any{{"names": indices, "privileges": []string{"create_doc", "create_index", "view_index_metadata"}}}
	}
	res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: http.MethodPost,
		Path: "/_security/user/_has_privileges", Body: body,
		IgnoreErrors: []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed}})
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "cannot tell: no security API on this cluster", nil
	}
	var hp struct {
		All     bool                       `json:"has_all_requested"`
		Cluster map[string]bool            `json:"cluster"`
		Index   map[string]map[string]bool `json:"index"`
	}
	if err := json.Unmarshal(res.Body, &hp); err != nil {
		return "", err
	}
	if hp.All {
		return "templates, ILM and writes to " + orDash(strings.Join(indices, ",")) + " allowed", nil
	}
	var missing []string
	for p, ok := range hp.Cluster {
		if !ok {
			missing = append(missing, p)
		}
	}
	for ix, privs := range hp.Index {
		for p, ok := range privs {
			if !ok {
				missing = append(missing, p+" on "+ix)
			}
		}
	}
	slices.Sort(missing)
	return "", fmt.Errorf("missing privileges: %s", strings.Join(missing, ", "))
}

// oneLine keeps a result on its line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func joinComma(s []string) string { return strings.Join(s, ",") }
