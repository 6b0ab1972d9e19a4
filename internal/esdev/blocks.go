package esdev

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Index blocks and closed indices answer as in Elasticsearch 7.17 (see
// TestWriteBlocks and TestCloseAndOpen for the rules and their pages).
//
// NOTE: a closed index is marked by index.verified_before_close, the setting
// Elasticsearch adds when it closes one; searches still read closed indices
// here (a real cluster refuses them).

// settingClosed marks a closed index in its settings.
const settingClosed = "index.verified_before_close"

// writeBlocks are the index settings that refuse document writes, with the
// block each stands for, by block id.
var writeBlocks = []struct {
	setting string
	status  int
	desc    string
}{
	{"index.blocks.read_only", http.StatusForbidden, "FORBIDDEN/5/index read-only (api)"},
	{"index.blocks.write", http.StatusForbidden, "FORBIDDEN/8/index write (api)"},
	{"index.blocks.read_only_allow_delete", http.StatusTooManyRequests,
		"TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block"},
}

// liveSettings are the settings PUT _settings may change: those the
// stand-in reads on every request. Static ones (refused by Elasticsearch
// too) and the ones it reads only at creation (refresh_interval, the
// fields limit) are refused.
var liveSettings = []string{"index.blocks.read_only", "index.blocks.write", "index.blocks.read_only_allow_delete",
	"index.number_of_replicas"}

// refuseWrite is the answer to a document write into idx when the index is
// closed or blocked, nil when the write may proceed. The caller holds s.mu.
func refuseWrite(op *writeOp, idx *index) *itemResult {
	if idx.settings[settingClosed] == "true" {
		return failedItem(op, http.StatusBadRequest, newESError("index_closed_exception", "closed").onIndex(idx.name, idx.uuid))
	}
	var descs []string
	status := 0
	for _, b := range writeBlocks {
		if idx.settings[b.setting] == "true" {
			descs = append(descs, b.desc)
			status = max(status, b.status)
		}
	}
	if status == 0 {
		return nil
	}
	return failedItem(op, status, newESError("cluster_block_exception", "index [%s] blocked by: [%s];",
		idx.name, strings.Join(descs, ", ")))
}

// handlePutSettings serves PUT /{index}/_settings: the body holds settings
// in any shape (nested, dotted, with or without "index." or a "settings"
// wrapper); a null value resets a setting.
func (s *Server) handlePutSettings(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	body, aerr := readObjectBody(r)
	if aerr == nil && len(body) == 0 {
		aerr = validationFailed("no settings to update")
	}
	if inner, ok := body["settings"].(map[string]any); ok && len(body) == 1 {
		body = inner
	}
	set, reset := flattenSettings(body)
	for _, k := range append(slices.Sorted(maps.Keys(set)), reset...) {
		if !slices.Contains(liveSettings, k) {
			aerr = cmp.Or(aerr, unsupported("changing [%s] of an existing index", k))
		}
	}
	if aerr != nil {
		return nil, aerr
	}
	return s.onIndices(p, true, func(idxs []*index) (any, *esError) {
		for _, idx := range idxs {
			maps.Copy(idx.settings, set)
			for _, k := range reset {
				delete(idx.settings, k)
			}
		}
		return acknowledged, nil
	})
}

// acknowledged is the answer of an index or template change.
var acknowledged = map[string]any{"acknowledged": true}

// handleOpenClose serves POST /{index}/_close (close true) and _open.
func (s *Server) handleOpenClose(close bool) handler {
	return func(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
		return s.onIndices(p, true, func(idxs []*index) (any, *esError) {
			resp, closed := map[string]any{"acknowledged": true, "shards_acknowledged": true}, map[string]any{}
			for _, idx := range idxs {
				delete(idx.settings, settingClosed)
				if close {
					idx.settings[settingClosed] = "true"
					closed[idx.name] = map[string]any{"closed": true}
				}
			}
			if close {
				resp["indices"] = closed
			}
			return resp, nil
		})
	}
}

// A single node never assigns a replica: an index asking for replicas is
// yellow, one without green, in _cat/indices and _cluster/health alike.

// handleCatIndices serves GET /_cat/indices[/{index}] as aligned text with
// Elasticsearch's default columns (?v adds the header; ?format is not
// supported); docs.count counts searchable documents.
func (s *Server) handleCatIndices(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
		if r.URL.Query().Has("v") {
			tw.Write([]byte("health\tstatus\tindex\tuuid\tpri\trep\tdocs.count\tdocs.deleted\tstore.size\tpri.store.size\n"))
		}
		for _, idx := range idxs {
			size, docs := strconv.FormatInt(idx.bytes, 10)+"b", 0
			idx.visibleDocs(func(*doc) { docs++ })
			tw.Write([]byte(strings.Join([]string{map[bool]string{true: "yellow", false: "green"}[idx.replicas() > 0], "open",
				idx.name, idx.uuid, "1", strconv.Itoa(idx.replicas()), strconv.Itoa(docs), "0", size, size}, "\t") + "\n"))
		}
		_ = tw.Flush() // a strings.Builder does not fail
		return plainText(b.String()), nil
	})
}

// handleClusterHealth serves GET /_cluster/health (cluster-health.html),
// which logctl check and the daemons' -check-deps read; the wait_for_*
// parameters are refused (nothing here ever changes health).
func (s *Server) handleClusterHealth(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		unassigned := 0
		for _, idx := range idxs {
			unassigned += idx.replicas()
		}
		status, percent := "green", 100.0
		if unassigned > 0 {
			status, percent = "yellow", 100*float64(len(idxs))/float64(len(idxs)+unassigned)
		}
		return map[string]any{"cluster_name": "esdev", "status": status, "timed_out": false, "number_of_nodes": 1,
			"number_of_data_nodes": 1, "active_primary_shards": len(idxs), "active_shards": len(idxs), "relocating_shards": 0,
			"initializing_shards": 0, "unassigned_shards": unassigned, "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
			"number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": percent}, nil
	})
}
