package logagent

import (
	"errors"
	"fmt"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
	"github.com/twmb/franz-go/pkg/kerr"
)

// kafkaTrouble is a Kafka error sorted once, the way the broker's own
// retriable flag sorts it (franz-go kerr.IsRetriable, as pkg/kgo/sink.go
// uses it): what state it puts the task in, a stable reason (no offsets or
// partitions: it keys the log rate limit), and whether to retry slowly.
//
//   - conf.StateWaiting: the cause goes away by itself (leader election, a
//     broker restarting, a timeout, a connection reset). Retried with the
//     [kafka] retry_backoff … retry_backoff_max backoff.
//   - conf.StateFailing: only an operator fixes it (topic authorization,
//     cluster authorization, policy violation, invalid topic, a topic
//     missing for longer than unknownTopicGrace, a record too large even
//     alone, any other non-retriable code). Retried every slowRetry at
//     most, so the task resumes by itself once the cause is fixed.
//
// Nothing is ever dropped: both kinds keep the records and their positions.
type kafkaTrouble struct {
	state  conf.State
	reason string
	slow   bool
}

// unknownTopicGrace is how long UNKNOWN_TOPIC_OR_PARTITION counts as a
// topic being created (auto-creation, a leader election) before it is an
// operator's problem: auto-creation off, or a typo in the task's topic.
const unknownTopicGrace = 5 * time.Second

// slowRetryMax caps how long a failing task waits between retries.
const slowRetryMax = 30 * time.Second

// classifyKafka sorts err, met for topic after it persisted for lasting.
func classifyKafka(topic string, err error, lasting time.Duration) kafkaTrouble {
	var ke sarama.KError
	if !errors.As(err, &ke) {
		// Network errors, no reachable broker, a closed connection.
		return kafkaTrouble{state: conf.StateWaiting, reason: fmt.Sprintf("kafka unreachable for topic %q: %v", topic, err)}
	}
	code := int16(ke)
	name := kerr.ErrorForCode(code).Error()
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		name = e.Message
	}
	failing := func(why string) kafkaTrouble {
		return kafkaTrouble{state: conf.StateFailing, slow: true, reason: fmt.Sprintf("topic %q: %s: %s", topic, name, why)}
	}
	switch {
	case ke == sarama.ErrUnknownTopicOrPartition && lasting >= unknownTopicGrace:
		return failing("the topic does not exist and the cluster does not create it (auto-creation off?); create it or fix the task's topic")
	case ke == sarama.ErrTopicAuthorizationFailed, ke == sarama.ErrClusterAuthorizationFailed:
		return failing("the agent's principal lacks a Kafka ACL (WRITE/DESCRIBE on the topic, IDEMPOTENT_WRITE on the cluster)")
	case ke == sarama.ErrPolicyViolation:
		return failing("the cluster's policy refuses the request")
	case ke == sarama.ErrInvalidTopic:
		return failing("the cluster refuses the topic name")
	case kerr.IsRetriable(kerr.ErrorForCode(code)):
		return kafkaTrouble{state: conf.StateWaiting, reason: fmt.Sprintf("topic %q: %s (retriable)", topic, name)}
	default:
		return failing("the broker refuses it and says retrying will not help")
	}
}

// tooLargeTrouble is a record refused as too large even alone: it is
// shipped cut, and the operator should align max_message_bytes with the
// topic's max.message.bytes.
func tooLargeTrouble(topic string) kafkaTrouble {
	return kafkaTrouble{state: conf.StateFailing, reason: fmt.Sprintf(
		"topic %q: MESSAGE_TOO_LARGE for a single record: lines are shipped cut; lower [kafka] max_message_bytes to the topic's max.message.bytes", topic)}
}

// retryAfter is how long to wait before attempt (0-based) of something that
// failed as kt says: the usual backoff, or the slow one for operator errors.
func (p *producer) retryAfter(kt kafkaTrouble, attempt int) time.Duration {
	if kt.slow {
		return p.slowBackoff(min(attempt, 16), 0)
	}
	return p.backoff(min(attempt, 8), 0)
}

// slowRetry is the backoff cap for operator errors: ten times
// retry_backoff_max, at most slowRetryMax.
func slowRetry(k conf.Kafka) time.Duration { return min(10*k.RetryBackoffMax, slowRetryMax) }
