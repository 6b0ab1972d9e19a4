package mirror

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Defaults of Config.
const (
	// DefaultGroup is the source consumer group, named like an MM2 flow.
	DefaultGroup = "mirror-cloud-idc"
	// DefaultTopics matches every topic; kgo never subscribes to internal
	// topics (__consumer_offsets, __transaction_state) by regular expression.
	DefaultTopics          = ".*"
	DefaultTopicRefresh    = time.Second
	DefaultMaxBatchRecords = 5000
	DefaultMaxFetchBytes   = 8 << 20
	DefaultDeliveryTimeout = 30 * time.Second
	DefaultDrainTimeout    = 10 * time.Second
)

// Config says what to copy from where to where.
type Config struct {
	// SourceBrokers and TargetBrokers are host:port seed lists.
	SourceBrokers []string
	TargetBrokers []string
	// Group is the consumer group on the source cluster holding the
	// mirrored positions.
	Group string
	// Topics is a regular expression (RE2, anchored) of the topics to copy.
	Topics string
	// TopicRefresh bounds how long a new topic waits before it is copied.
	TopicRefresh time.Duration
	// MaxBatchRecords is the most records one poll hands over; the batch is
	// produced and committed before the next poll.
	MaxBatchRecords int
	// MaxFetchBytes caps one fetch response from the source.
	MaxFetchBytes int32
	// DeliveryTimeout is how long the producer tries a record before the
	// batch is retried as a whole (and a warning logged).
	DeliveryTimeout time.Duration
	// DrainTimeout is how long Run, once its context is done, still spends
	// producing and committing the batch in hand.
	DrainTimeout time.Duration
}

// DefaultConfig returns the defaults; the brokers must still be set.
func DefaultConfig() Config {
	return Config{Group: DefaultGroup, Topics: DefaultTopics, TopicRefresh: DefaultTopicRefresh,
		MaxBatchRecords: DefaultMaxBatchRecords, MaxFetchBytes: DefaultMaxFetchBytes,
		DeliveryTimeout: DefaultDeliveryTimeout, DrainTimeout: DefaultDrainTimeout}
}

// Validate reports every problem of c.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("mirror.%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if len(c.SourceBrokers) == 0 {
		bad("source_brokers", "required")
	}
	if len(c.TargetBrokers) == 0 {
		bad("target_brokers", "required")
	}
	if c.Group == "" {
		bad("group", "required")
	}
	if _, err := regexp.Compile(c.Topics); err != nil {
		bad("topics", "%q: %v", c.Topics, err)
	}
	if c.MaxBatchRecords <= 0 {
		bad("max_batch_records", "must be positive, got %d", c.MaxBatchRecords)
	}
	if c.MaxFetchBytes < 1<<10 {
		bad("max_fetch_bytes", "%d: want at least 1024", c.MaxFetchBytes)
	}
	if c.TopicRefresh < 10*time.Millisecond {
		bad("topic_refresh", "%s: want at least 10ms", c.TopicRefresh)
	}
	for field, d := range map[string]time.Duration{"delivery_timeout": c.DeliveryTimeout, "drain_timeout": c.DrainTimeout} {
		if d <= 0 {
			bad(field, "must be positive, got %s", d)
		}
	}
	return errors.Join(errs...)
}
