package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/check"
)

// partitionLag is one row of `kafka-consumer-groups.sh --describe`.
type partitionLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64 `json:"committed_offset"`
	// End is the high-water mark: the offset the next record gets.
	End int64 `json:"end_offset"`
	// Lag is End-Committed, -1 when nothing is committed.
	Lag int64 `json:"lag"`
}

// groupLag is one consumer group's offsets and its total lag (over the
// partitions with a committed offset).
type groupLag struct {
	Group      string         `json:"group"`
	Partitions []partitionLag `json:"partitions"`
	Lag        int64          `json:"lag"`
}

func (g groupLag) topics() int {
	seen := map[string]bool{}
	for _, p := range g.Partitions {
		seen[p.Topic] = true
	}
	return len(seen)
}

func runLag(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl lag", "[-group G]",
		"With -group: the group's committed offset, end (high-water) offset and lag per topic and\n"+
			"partition, as kafka-consumer-groups.sh --describe shows them. Without: every group with\n"+
			"its total lag. logtransfer's groups are <[kafka] group>-<route>. The local demo's mirror\n"+
			"commits as mirror-cloud-idc; MirrorMaker 2 commits no group on the source cluster, so\n"+
			"watch its replication-latency-ms / record-age-ms metrics instead (deploy/README.md).")
	group := fs.String("group", "", "consumer group to describe")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	lags, err := check.Bounded(ctx, func() ([]groupLag, error) { return c.groupLags(*group) })
	if err != nil {
		return c.kafkaErr(err)
	}
	if c.asJSON {
		if *group != "" {
			return writeJSON(c.stdout, lags[0])
		}
		return writeJSON(c.stdout, nonNil(lags))
	}
	if *group != "" {
		return renderGroup(c.stdout, lags[0])
	}
	t := newTable(c.stdout, "GROUP", "TOPICS", "PARTITIONS", "LAG")
	for _, g := range lags {
		t.row(g.Group, g.topics(), len(g.Partitions), g.Lag)
	}
	return t.flush()
}

func renderGroup(w io.Writer, g groupLag) error {
	if len(g.Partitions) == 0 {
		_, err := fmt.Fprintf(w, "group %s has no committed offsets\n", g.Group)
		return err
	}
	t := newTable(w, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG")
	for _, p := range g.Partitions {
		committed, lag := "-", "-"
		if p.Committed >= 0 {
			committed, lag = fmt.Sprint(p.Committed), fmt.Sprint(p.Lag)
		}
		t.row(g.Group, p.Topic, p.Partition, committed, p.End, lag)
	}
	t.row("", "", "", "", "TOTAL", g.Lag)
	return t.flush()
}

// kafka returns a client with the daemons' [kafka] settings (TLS, SASL)
// as resolved from --config, LOGPIPE_* and flags, every wait shortened to
// --timeout.
func (c *cli) kafka() (sarama.Client, error) {
	sc, err := c.saramaConfig()
	if err != nil {
		return nil, err
	}
	return sarama.NewClient(c.conns.Kafka.Brokers, sc)
}

// saramaConfig is conf.Kafka.Sarama with logctl's client id and timeouts.
func (c *cli) saramaConfig() (*sarama.Config, error) {
	k := c.conns.Kafka
	k.Timeout = c.g.timeout
	sc, err := k.Sarama()
	if err != nil {
		return nil, refusedError{what: "kafka settings", err: err}
	}
	sc.ClientID = "logctl"
	sc.Net.ReadTimeout = c.g.timeout
	sc.Metadata.Retry.Max = 1
	sc.Admin.Timeout = c.g.timeout
	sc.Admin.Retry.Max = 1
	// NOTE: sarama asks brokers to create the topics it looks up; logctl
	// only looks, so a mistyped topic must not appear on the cluster.
	sc.Metadata.AllowAutoTopicCreation = false
	return sc, nil
}

func (c *cli) kafkaErr(err error) error {
	var re refusedError
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, sarama.ErrOutOfBrokers) && c.conns.Kafka.SASLMechanism != "":
		// NOTE: a broker refusing the SASL credentials closes the
		// connection; sarama reports that as running out of brokers.
		return fmt.Errorf("kafka %s unreachable or refused the SASL credentials: %w", c.conns.brokersAddr(), err)
	case unreachable(err) || errors.Is(err, sarama.ErrOutOfBrokers):
		return fmt.Errorf("kafka %s unreachable: %w", c.conns.brokersAddr(), err)
	}
	return fmt.Errorf("kafka %s: %w", c.conns.brokersAddr(), err)
}

// groupLags describes group, or every group when it is empty.
func (c *cli) groupLags(group string) ([]groupLag, error) {
	client, err := c.kafka()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return nil, err
	}
	// NOTE: admin.Close would close the shared client too; the deferred
	// client.Close above is enough.
	all, err := admin.ListConsumerGroups()
	if err != nil {
		return nil, fmt.Errorf("listing consumer groups: %w", err)
	}
	groups := slices.Sorted(maps.Keys(all))
	if group != "" {
		groups = []string{group}
	}
	ends := map[string]int64{}
	out := make([]groupLag, 0, len(groups))
	for _, g := range groups {
		gl, err := describeGroup(client, admin, g, ends)
		if err != nil {
			return nil, err
		}
		if group != "" && len(gl.Partitions) == 0 {
			if _, known := all[group]; !known {
				return nil, fmt.Errorf("consumer group %q not found", group)
			}
		}
		out = append(out, gl)
	}
	return out, nil
}

// describeGroup reads group's committed offsets and the end offsets of
// their partitions; ends caches end offsets across groups.
func describeGroup(client sarama.Client, admin sarama.ClusterAdmin, group string, ends map[string]int64) (groupLag, error) {
	resp, err := admin.ListConsumerGroupOffsets(group, nil)
	if errors.Is(err, sarama.ErrGroupIDNotFound) {
		return groupLag{}, fmt.Errorf("consumer group %q not found", group)
	}
	if err != nil {
		return groupLag{}, fmt.Errorf("offsets of group %s: %w", group, err)
	}
	gl := groupLag{Group: group, Partitions: []partitionLag{}}
	for topic, parts := range resp.Blocks {
		for p, b := range parts {
			if b.Err != sarama.ErrNoError {
				return groupLag{}, fmt.Errorf("offsets of group %s, %s/%d: %w", group, topic, p, b.Err)
			}
			key := fmt.Sprintf("%s/%d", topic, p)
			end, ok := ends[key]
			if !ok {
				if end, err = client.GetOffset(topic, p, sarama.OffsetNewest); err != nil {
					return groupLag{}, fmt.Errorf("end offset of %s: %w", key, err)
				}
				ends[key] = end
			}
			pl := partitionLag{Topic: topic, Partition: p, Committed: b.Offset, End: end, Lag: -1}
			if b.Offset >= 0 {
				pl.Lag = max(end-b.Offset, 0)
				gl.Lag += pl.Lag
			}
			gl.Partitions = append(gl.Partitions, pl)
		}
	}
	slices.SortFunc(gl.Partitions, func(a, b partitionLag) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	return gl, nil
}
