// Package logtransfer is the logtransfer daemon: it consumes the Kafka
// topics its etcd routes name and bulk-indexes every record into
// Elasticsearch, with no loss and no duplicate documents.
//
//	etcd /logtransfer/routes/<name> ──watch──▶ conf.Supervisor (one runner = unit per route:
//	                                              consumer group, lane, Condition)
//	                                                 │
//	Kafka <topic> ──claim──▶ consumer ──lane──▶ document ──▶ indexer ──_bulk──▶ Elasticsearch
//	     ▲                     │  share of the budget,      (batches, workers,   │
//	     │                     │  tracker per partition      429/5xx retries)    │
//	     │                     ◀─────────── ack per record ──────────────────────┤ index refuses writes:
//	     │                                  lane holds it, probes, resends ◀─────┤ stall (route failing)
//	     └─ commit (contiguous acked offsets only)         <topic>.dlq ◀─────────┘ document refused: divert
//
// A record's offset is committed only after Elasticsearch accepted it and
// every earlier record of its partition. Documents are written with
// op_type=create and a stable _id (the agent's lp.id header), so a record
// delivered twice — after a crash, a rebalance or a replay — yields one
// document.
package logtransfer
