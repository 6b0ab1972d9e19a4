package devstack

import (
	"fmt"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kafka is an in-process Kafka-protocol cluster (kfake) that persists to a
// directory, so it can be stopped and restarted on the same ports with the
// records it had.
type Kafka struct {
	mu      sync.Mutex
	dir     string
	ports   []int
	opts    []kfake.Opt
	manual  bool // no topic auto-creation
	cluster *kfake.Cluster
}

// StartKafka starts a cluster of brokers nodes persisting into dir. Topics are
// created on first use with DefaultNumPartitions partitions unless opts say
// otherwise.
func StartKafka(dir string, brokers int, opts ...kfake.Opt) (*Kafka, error) {
	return startKafka(dir, brokers, false, opts)
}

func startKafka(dir string, brokers int, manual bool, opts []kfake.Opt) (*Kafka, error) {
	var lastErr error
	for range 5 {
		ports := make([]int, brokers)
		for i := range ports {
			p, err := FreePort()
			if err != nil {
				return nil, err
			}
			ports[i] = p
		}
		k := &Kafka{dir: dir, ports: ports, opts: opts, manual: manual}
		if lastErr = k.start(); lastErr == nil {
			return k, nil
		}
	}
	return nil, lastErr
}

func (k *Kafka) start() error {
	opts := []kfake.Opt{
		kfake.Ports(k.ports...),
		kfake.NumBrokers(len(k.ports)),
		kfake.DataDir(k.dir),
		kfake.DefaultNumPartitions(4),
	}
	if !k.manual {
		opts = append(opts, kfake.AllowAutoTopicCreation())
	}
	opts = append(opts, k.opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return fmt.Errorf("starting kfake cluster: %w", err)
	}
	k.mu.Lock()
	k.cluster = c
	k.mu.Unlock()
	return nil
}

// Addrs lists the brokers' host:port addresses.
func (k *Kafka) Addrs() []string {
	out := make([]string, len(k.ports))
	for i, p := range k.ports {
		out[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	return out
}

// Cluster is the running kfake cluster (nil while stopped), for control hooks.
func (k *Kafka) Cluster() *kfake.Cluster {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cluster
}

// Stop shuts every broker down; records stay on disk for Restart.
func (k *Kafka) Stop() {
	k.mu.Lock()
	c := k.cluster
	k.cluster = nil
	k.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Restart starts a stopped cluster again on the same ports with its records.
func (k *Kafka) Restart() error { return k.start() }

// NewKafka starts a one-broker cluster for the test and stops it at cleanup.
func NewKafka(tb testing.TB, opts ...kfake.Opt) *Kafka {
	tb.Helper()
	k, err := StartKafka(tb.TempDir(), 1, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(k.Stop)
	return k
}

// NewKafkaManualTopics is NewKafka on a cluster that, like one with
// auto.create.topics.enable=false, answers UNKNOWN_TOPIC_OR_PARTITION for a
// topic nobody created: CreateTopic makes it.
func NewKafkaManualTopics(tb testing.TB) *Kafka {
	tb.Helper()
	k, err := startKafka(tb.TempDir(), 1, true, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(k.Stop)
	return k
}

// CreateTopic creates topic with 4 partitions, as auto-creation would.
func (k *Kafka) CreateTopic(topic string) error {
	c := k.Cluster()
	if c == nil {
		return fmt.Errorf("creating topic %s: cluster stopped", topic)
	}
	return c.CreateTopic(topic, 4, nil)
}
