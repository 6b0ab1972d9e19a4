// Package logtransfer is the logtransfer daemon: it consumes the Kafka
// topics its etcd routes name and bulk-indexes every record into
// Elasticsearch, with no loss and no duplicate documents.
//
//	etcd /logtransfer/routes/<name> ──watch──▶ reconciler (one consumer group per route)
//	                                                 │
//	Kafka <topic> ──claim──▶ consumer ──budget──▶ document ──▶ indexer ──_bulk──▶ Elasticsearch
//	     ▲                     │  tracker per partition      (batches, workers, retries)
//	     │                     ◀─────── ack per record ────────────┘   │ 400 mapping
//	     └─ commit (contiguous acked offsets only)     <topic>.dlq ◀───┘
//
// A record's offset is committed only after Elasticsearch accepted it and
// every earlier record of its partition. Documents are written with
// op_type=create and a stable _id (the agent's lp.id header), so a record
// delivered twice — after a crash, a rebalance or a replay — yields one
// document.
package logtransfer
