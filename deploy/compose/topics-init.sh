#!/bin/sh
# Creates the sample topic in both clusters and its dead-letter topic in the
# IDC. Run once by the topics-init service (see compose.yaml); existing
# topics are left alone.
#
# Auto-creation is off on both brokers, as it should be in production: a
# topic's partition count is a decision (deploy/README.md: sizing), not the
# broker default. The IDC copy of mglogs is created here with the cloud's
# partition count so logtransfer can join its group before MirrorMaker 2's
# first topic refresh; MM2 then writes into it (identity policy: same name,
# same partition numbers). Never give the IDC copy fewer partitions than the
# cloud topic.
set -eu
topics=/opt/kafka/bin/kafka-topics.sh

# The cloud copy is stored zstd: agents produce snappy (cheapest for the app
# servers, make bench -scenarios codecs), the cloud brokers recompress, and
# MirrorMaker 2 fetches what they store, so the WAN carries zstd
# (deploy/README.md: compression). The IDC copy keeps what MM2 produces.
"$topics" --bootstrap-server kafka-cloud:9092 --create --if-not-exists \
	--topic mglogs --partitions 6 --replication-factor 1 \
	--config retention.ms=259200000 --config compression.type=zstd
"$topics" --bootstrap-server kafka-idc:9092 --create --if-not-exists \
	--topic mglogs --partitions 6 --replication-factor 1 \
	--config retention.ms=259200000

# logtransfer produces records Elasticsearch refused (400) to <topic>.dlq,
# in the cluster it consumes.
"$topics" --bootstrap-server kafka-idc:9092 --create --if-not-exists \
	--topic mglogs.dlq --partitions 1 --replication-factor 1 \
	--config retention.ms=1209600000

"$topics" --bootstrap-server kafka-cloud:9092 --describe --topic mglogs
