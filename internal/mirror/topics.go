package mirror

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ensureTopics makes sure every topic of recs exists on the target with at
// least the source's partition count, as MM2 does, so that a record can
// keep its partition. Topics once checked are remembered.
func (m *Mirror) ensureTopics(ctx context.Context, src, dst *kgo.Client, recs []*kgo.Record) error {
	var todo []string
	seen := map[string]bool{}
	for _, r := range recs {
		if _, ok := m.ensured[r.Topic]; !ok && !seen[r.Topic] {
			seen[r.Topic] = true
			todo = append(todo, r.Topic)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	want, err := partitionCounts(ctx, src, todo)
	if err != nil {
		return fmt.Errorf("source metadata: %w", err)
	}
	have, err := partitionCounts(ctx, dst, todo)
	if err != nil {
		return fmt.Errorf("target metadata: %w", err)
	}
	var changed []string
	for _, t := range todo {
		switch n := want[t]; {
		case have[t] == 0:
			err = createTopic(ctx, dst, t, n)
		case have[t] < n:
			err = growTopic(ctx, dst, t, n)
		default:
			m.ensured[t] = n
			continue
		}
		if err != nil {
			return err
		}
		changed = append(changed, t)
	}
	if len(changed) == 0 {
		return nil
	}
	// Check again: another client (a consumer with auto-creation) may have
	// created a topic first, with fewer partitions.
	if have, err = partitionCounts(ctx, dst, changed); err != nil {
		return fmt.Errorf("target metadata: %w", err)
	}
	for _, t := range changed {
		if have[t] < want[t] {
			return fmt.Errorf("target topic %s has %d partitions, want %d", t, have[t], want[t])
		}
		m.log.Info("target topic prepared", "topic", t, "partitions", have[t])
		m.ensured[t] = have[t]
	}
	return nil
}

// partitionCounts returns the partition count of each topic that exists.
func partitionCounts(ctx context.Context, cl *kgo.Client, topics []string) (map[string]int, error) {
	req := kmsg.NewPtrMetadataRequest()
	for _, t := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(t)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, t := range resp.Topics {
		err := kerr.ErrorForCode(t.ErrorCode)
		switch {
		case errors.Is(err, kerr.UnknownTopicOrPartition):
		case err != nil:
			return nil, fmt.Errorf("topic %s: %w", *t.Topic, err)
		default:
			out[*t.Topic] = len(t.Partitions)
		}
	}
	return out, nil
}

func createTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = int32(partitions)
	rt.ReplicationFactor = -1 // the target broker's default
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("creating target topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		// Another client may have auto-created it since the metadata
		// request; ensureTopics checks its partition count again.
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("creating target topic %s: %w", topic, err)
		}
	}
	return nil
}

func growTopic(ctx context.Context, cl *kgo.Client, topic string, partitions int) error {
	req := kmsg.NewPtrCreatePartitionsRequest()
	rt := kmsg.NewCreatePartitionsRequestTopic()
	rt.Topic = topic
	rt.Count = int32(partitions)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("growing target topic %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return fmt.Errorf("growing target topic %s to %d partitions: %w", topic, partitions, err)
		}
	}
	return nil
}
