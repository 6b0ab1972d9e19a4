#!/bin/sh
# Puts the sample collection task and route into etcd, once: a key that
# already exists is left alone, so `docker compose up` never undoes an edit
# made with etcdctl. Run by the etcd-init service (see compose.yaml).
#
#   /logagent/all/tasks/mg     every agent ships /data/openresty/logs/mg_*.log to topic mglogs
#   /logtransfer/routes/mglogs topic mglogs -> index mglogs-{yyyy.MM.dd}, deleted after 7 days
#                              (one shard, no replica: the demo has one Elasticsearch node)
set -eu

put_once() {
	key=$1
	file=$2
	if [ -n "$(etcdctl get --print-value-only "$key")" ]; then
		echo "keep $key"
		return
	fi
	etcdctl put "$key" "$(cat "$file")"
	echo "put  $key"
}

# etcd may still be electing itself when this starts.
i=0
until etcdctl endpoint health >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 60 ] || { echo "etcd not healthy" >&2; exit 1; }
	sleep 1
done

put_once /logagent/all/tasks/mg /seed/task-mg.json
put_once /logtransfer/routes/mglogs /seed/route-mglogs.json
