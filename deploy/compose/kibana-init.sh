#!/bin/bash
# Imports deploy/kibana/saved_objects.ndjson (the mglogs-* index pattern and
# a saved search) and makes the pattern Kibana's default. Run once by the
# kibana-init service; overwrite=true makes re-runs harmless. Kibana may
# report healthy a little before its saved-objects API answers, so the
# import is retried for up to two minutes.
set -euo pipefail
kibana=http://kibana:5601

for i in $(seq 1 24); do
	if out=$(curl -fsS -X POST "$kibana/api/saved_objects/_import?overwrite=true" \
		-H 'kbn-xsrf: true' --form file=@/seed/saved_objects.ndjson) &&
		grep -q '"success":true' <<<"$out"; then
		break
	fi
	[ "$i" -lt 24 ] || { echo "import failed: ${out:-no answer}" >&2; exit 1; }
	sleep 5
done
echo "$out"

curl -fsS -X POST "$kibana/api/kibana/settings" \
	-H 'kbn-xsrf: true' -H 'Content-Type: application/json' \
	-d '{"changes":{"defaultIndex":"logpipe-mglogs"}}' >/dev/null
echo "default index pattern: mglogs-*"
