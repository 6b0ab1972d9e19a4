package logagent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// TestClassifyKafka: each Kafka error is sorted once into waiting (retry
// with the usual backoff) or failing (an operator must act; retry slowly),
// with a stable reason naming the topic and the broker's code.
func TestClassifyKafka(t *testing.T) {
	for _, tt := range []struct {
		name    string
		err     error
		lasting time.Duration
		state   conf.State
		reason  string
	}{
		{"network", errors.New("dial tcp: connection refused"), 0, conf.StateWaiting, "kafka unreachable"},
		{"no brokers", sarama.ErrOutOfBrokers, time.Hour, conf.StateWaiting, "kafka unreachable"},
		{"leader election", sarama.ErrNotLeaderForPartition, time.Hour, conf.StateWaiting, "NOT_LEADER_FOR_PARTITION (retriable)"},
		{"unknown topic, new", sarama.ErrUnknownTopicOrPartition, time.Second, conf.StateWaiting, "UNKNOWN_TOPIC_OR_PARTITION (retriable)"},
		{"unknown topic, lasting", sarama.ErrUnknownTopicOrPartition, unknownTopicGrace, conf.StateFailing, "auto-creation off"},
		{"topic ACL", sarama.ErrTopicAuthorizationFailed, 0, conf.StateFailing, "TOPIC_AUTHORIZATION_FAILED: the agent's principal lacks a Kafka ACL"},
		{"cluster ACL", sarama.ErrClusterAuthorizationFailed, 0, conf.StateFailing, "CLUSTER_AUTHORIZATION_FAILED"},
		{"policy", sarama.ErrPolicyViolation, 0, conf.StateFailing, "POLICY_VIOLATION"},
		{"invalid topic", sarama.ErrInvalidTopic, 0, conf.StateFailing, "INVALID_TOPIC_EXCEPTION"},
		{"other non-retriable", sarama.ErrInvalidRecord, 0, conf.StateFailing, "INVALID_RECORD: the broker refuses it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kt := classifyKafka("app", tt.err, tt.lasting)
			if kt.state != tt.state || !strings.Contains(kt.reason, tt.reason) || !strings.Contains(kt.reason, `"app"`) {
				t.Errorf("classifyKafka(%v) = %s %q, want %s with %q", tt.err, kt.state, kt.reason, tt.state, tt.reason)
			}
			if kt.slow != (tt.state == conf.StateFailing) {
				t.Errorf("slow = %v for %s", kt.slow, kt.state)
			}
		})
	}
	if kt := tooLargeTrouble("app"); kt.state != conf.StateFailing || !strings.Contains(kt.reason, "max_message_bytes") {
		t.Errorf("tooLargeTrouble = %+v", kt)
	}
}
