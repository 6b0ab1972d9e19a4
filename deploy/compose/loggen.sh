#!/bin/sh
# Stands in for the app servers of the production case: appends access-log
# lines to an hourly file /data/openresty/logs/mg_YYYY-MM-DD-HH.log (a new
# file every hour, as openresty's log rotation does), RATE lines a second.
# Files older than three hours are removed so the volume stays small.
set -eu
dir=/data/openresty/logs
rate=${RATE:-20}
mkdir -p "$dir"
n=0
while :; do
	f="$dir/mg_$(date -u +%Y-%m-%d-%H).log"
	i=0
	while [ "$i" -lt "$rate" ]; do
		n=$((n + 1))
		i=$((i + 1))
		echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) 10.0.$((n % 250)).$((n % 7 + 1)) GET /api/v1/items/$n 200 $((n % 900 + 100))ms seq=$n" >>"$f"
	done
	find "$dir" -name 'mg_*.log' -mmin +180 -delete
	sleep 1
done
