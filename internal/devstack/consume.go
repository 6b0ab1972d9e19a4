package devstack

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Record is a consumed record, flattened for assertions.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	Value     string
	Headers   map[string]string
	Timestamp time.Time
}

// ReadUntil reads topic from the start until done(all records so far) is
// true or ctx ends. It tolerates duplicates: done decides what is enough.
func ReadUntil(ctx context.Context, brokers []string, topic string, done func([]Record) bool) ([]Record, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var out []Record
	for !done(out) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return out, fmt.Errorf("read %d records from %s, condition not met: %w", len(out), topic, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, flatten(r)) })
	}
	return out, nil
}

func flatten(r *kgo.Record) Record {
	h := make(map[string]string, len(r.Headers))
	for _, x := range r.Headers {
		h[x.Key] = string(x.Value)
	}
	return Record{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Key: string(r.Key), Value: string(r.Value), Headers: h, Timestamp: r.Timestamp}
}

// ReadAll reads topic from the start until want records arrived or ctx ends,
// with an independent client (franz-go), so assertions do not share code with
// the sarama-based daemons under test.
func ReadAll(ctx context.Context, brokers []string, topic string, want int) ([]Record, error) {
	return ReadUntil(ctx, brokers, topic, func(rs []Record) bool { return len(rs) >= want })
}
