package devstack

import (
	"errors"
	"sync"
	"time"

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

// DelayProduces holds each of the next n produce requests for topic for d,
// then lets the broker handle it as usual. A producer whose read deadline is
// shorter than d gives up on the connection and sends the batch again on a
// new one, and the held request appends it once more when it is let go. The
// channel is closed when the n requests have been let go. It fails while the
// cluster is stopped.
func (k *Kafka) DelayProduces(topic string, n int, d time.Duration) (<-chan struct{}, error) {
	c := k.Cluster()
	if c == nil {
		return nil, errors.New("kafka cluster is stopped")
	}
	var mu sync.Mutex
	taken, released := 0, 0
	done := make(chan struct{})
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if !producesTo(req, topic) {
			return nil, nil, false
		}
		mu.Lock()
		if taken == n {
			mu.Unlock()
			c.DropControl()
			return nil, nil, false
		}
		taken++
		mu.Unlock()
		// Sleeping yields the cluster to other connections: the
		// producer's retry on its new connection goes ahead meanwhile.
		c.SleepControl(func() { time.Sleep(d) })
		mu.Lock()
		if released++; released == n {
			close(done)
		}
		mu.Unlock()
		return nil, nil, false
	})
	return done, nil
}

func producesTo(req kmsg.Request, topic string) bool {
	pr, ok := req.(*kmsg.ProduceRequest)
	if !ok {
		return false
	}
	for _, t := range pr.Topics {
		if t.Topic == topic {
			return true
		}
	}
	return false
}

// FailProduces answers every produce request for topic with err, without
// appending its records, until the handle is removed: a partition whose
// leader cannot take writes (NOT_ENOUGH_REPLICAS, say), so its producers'
// batches stay in flight. It fails while the cluster is stopped.
func (k *Kafka) FailProduces(topic string, err *kerr.Error) (*kfake.FaultHandle, error) {
	c := k.Cluster()
	if c == nil {
		return nil, errors.New("kafka cluster is stopped")
	}
	return c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: err, Count: -1}), nil
}
