// Package mirror copies topics from one Kafka cluster to another: the
// LOCAL STAND-IN for Kafka MirrorMaker 2, which copies the cloud cluster to
// the IDC cluster in production (deploy/ configures MM2). It exists so the
// local demo stack (cmd/logstack) and tests run the whole cloud → IDC path
// in one process; it is not a replacement for MM2 and has none of its
// topic-config, ACL or offset-translation syncing.
//
//	cloud Kafka                         mirror                          IDC Kafka
//	┌────────┐  poll (group           ┌──────────────┐  produce          ┌────────┐
//	│ mglogs │──mirror-cloud-idc)────▶│ batch        │──same partition──▶│ mglogs │
//	│ ...    │                        │ key, headers,│  (acks=all,       │ ...    │
//	└────────┘◀──commit offsets───────│ timestamp    │   idempotent)     └────────┘
//	            only after the target └──────────────┘
//	            acked the whole batch
//
// What it guarantees:
//
//   - Every record of every topic matching Config.Topics (default: all but
//     the internal ones) reaches the target with its key, headers, timestamp
//     and partition, under the same topic name (MM2's identity replication
//     policy, which the README's diagram assumes). Target topics are created
//     with the source's partition count, and grown to it.
//   - At least once: the source consumer group's offsets move only after the
//     target acknowledged every record of the batch, so a crash or restart
//     replays the unacknowledged tail and never skips it. Replays produce
//     copies; logtransfer's create-by-id indexing collapses them.
//   - New topics are picked up within Config.TopicRefresh (metadata age).
//   - Bounded: one poll of at most Config.MaxBatchRecords records (and the
//     client's fetch buffers, capped by Config.MaxFetchBytes) is in flight.
//
// The consumer group is named like an MM2 flow (mirror-cloud-idc), so
// logctl shows its lag next to logtransfer's groups.
//
// It uses franz-go (kgo) rather than sarama: kgo subscribes by regular
// expression and finds new topics on its own metadata refresh, can hold
// rebalances while a polled batch is in flight (BlockRebalanceOnPoll), so a
// synchronous commit after the produce can never commit a partition another
// member already owns, and its manual partitioner and idempotent producer
// keep partitions and order. sarama's consumer group takes a fixed topic
// list per session and would need a discovery loop of its own. kgo is
// already what the test helpers read Kafka with.
package mirror
