package esdev

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
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
