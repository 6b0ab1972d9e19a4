package check

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/IBM/sarama"
)

// Kafka ACL operations, as bits of a metadata response's authorized
// operations (KIP-430).
const (
	aclRead  = 3
	aclWrite = 4
)

// checkKafka connects, then checks each topic the keys name.
func (p Plan) checkKafka(step Step, n Needs, etcdOK bool) {
	k := p.Kafka
	k.Timeout = p.Timeout
	sc, err := k.Sarama()
	var client sarama.Client
	mode := "plaintext"
	if sc != nil && sc.Net.TLS.Enable {
		mode = "TLS"
	}
	if k.SASLMechanism != "" {
		mode += ", SASL " + k.SASLMechanism + " as " + k.SASLUsername
	}
	ok := step("kafka "+strings.Join(k.Brokers, ","), func(ctx context.Context) (string, error) {
		if err != nil {
			return "", err
		}
		sc.ClientID = "logpipe-check"
		sc.Metadata.Retry.Max = 0
		client, err = Bounded(ctx, func() (sarama.Client, error) { return sarama.NewClient(k.Brokers, sc) })
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
	for _, t := range n.Produce {
		step("kafka topic "+t+" (produce)", func(ctx context.Context) (string, error) {
			return Bounded(ctx, func() (string, error) { return topicCheck(client, sc, t, aclWrite) })
		})
	}
	for _, t := range n.Consume {
		if slices.Contains(n.Produce, t) {
			continue
		}
		step("kafka topic "+t+" (consume)", func(ctx context.Context) (string, error) {
			return Bounded(ctx, func() (string, error) { return topicCheck(client, sc, t, aclRead) })
		})
	}
	for _, g := range n.Groups {
		step("kafka group "+g+" (consume)", func(ctx context.Context) (string, error) {
			return Bounded(ctx, func() (string, error) { return groupCheck(client, sc, g) })
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
	detail := "state " + cmp.Or(g.State, "-")
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
