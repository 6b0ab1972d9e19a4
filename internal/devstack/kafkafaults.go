package devstack

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TimeOutProduces makes the cluster answer the next n produce requests for
// topic with REQUEST_TIMED_OUT after appending their records: what a broker
// answers when the request's timeout passed before the replicas acknowledged.
// The producer retries a batch the log already holds, so the topic ends up
// with duplicate records. Wait on the handle for the hits; Remove it to stop
// early. It fails while the cluster is stopped.
func (k *Kafka) TimeOutProduces(topic string, n int) (*kfake.FaultHandle, error) {
	c := k.Cluster()
	if c == nil {
		return nil, errors.New("kafka cluster is stopped")
	}
	return c.Fault(kfake.Fault{
		Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.RequestTimedOut, Count: n,
	}), nil
}
