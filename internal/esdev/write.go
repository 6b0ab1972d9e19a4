package esdev

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
)

// writeOp is one document write, from a bulk item or a document API call,
// after parsing. A non-nil outcome means it was decided before reaching
// the index (bad name, unparseable source, injected fault).
type writeOp struct {
	action  string // "index", "create", "update" or "delete"
	index   string
	id      string
	source  json.RawMessage // index/create: the document
	parsed  map[string]any  // index/create: the decoded document; update: the request body
	ifSeqNo *int64          // optimistic concurrency control, when given
	ifTerm  *int64
	outcome *itemResult
}

// shardsInfo is the "_shards" header of write and search responses.
type shardsInfo struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Skipped    int `json:"skipped,omitempty"`
	Failed     int `json:"failed"`
}

var oneShard = &shardsInfo{Total: 1, Successful: 1}

// itemResult is a bulk item result, also the body of the document APIs
// (which leave out "status").
type itemResult struct {
	Index       string         `json:"_index"`
	Type        string         `json:"_type"`
	ID          string         `json:"_id"`
	Version     int64          `json:"_version,omitempty"`
	Result      string         `json:"result,omitempty"`
	Shards      *shardsInfo    `json:"_shards,omitempty"`
	SeqNo       *int64         `json:"_seq_no,omitempty"`
	PrimaryTerm int64          `json:"_primary_term,omitempty"`
	Status      int            `json:"status,omitempty"`
	Error       map[string]any `json:"error,omitempty"`

	cause *esError // the error behind Error, for the document APIs
}

func failedItem(op *writeOp, status int, e *esError) *itemResult {
	return &itemResult{Index: op.index, Type: "_doc", ID: op.id, Status: status, Error: e.object(), cause: e}
}

func doneItem(idx *index, id, result string, status int, version, seqNo int64) *itemResult {
	return &itemResult{Index: idx.name, Type: "_doc", ID: id, Version: version, Result: result,
		Shards: oneShard, SeqNo: &seqNo, PrimaryTerm: primaryTerm, Status: status}
}

// applyLocked performs op against the store. The caller holds s.mu for
// writing; op.outcome is nil.
func (s *Server) applyLocked(op *writeOp) *itemResult {
	idx := s.indices[op.index]
	if idx == nil {
		if op.action == "delete" {
			return failedItem(op, http.StatusNotFound, indexNotFound(op.index).detail)
		}
		idx = s.autoCreateLocked(op.index)
	} else if res := refuseWrite(op, idx); res != nil {
		return res
	}
	cur := idx.docs[op.id]
	if op.ifSeqNo != nil || op.ifTerm != nil {
		if e := checkSeqNo(op, cur); e != nil {
			return failedItem(op, http.StatusConflict, e.onIndex(idx.name, idx.uuid).with("shard", "0"))
		}
	}
	switch op.action {
	case "create":
		if cur != nil {
			return failedItem(op, http.StatusConflict, newESError("version_conflict_engine_exception",
				"[%s]: version conflict, document already exists (current version [%d])", op.id, cur.version).
				onIndex(idx.name, idx.uuid).with("shard", "0"))
		}
		return s.storeLocked(idx, op, op.source, op.parsed, cur)
	case "index":
		return s.storeLocked(idx, op, op.source, op.parsed, cur)
	case "update":
		return s.updateLocked(idx, op, cur)
	}
	idx.seqNo++
	if cur == nil {
		return doneItem(idx, op.id, "not_found", http.StatusNotFound, 1, idx.seqNo)
	}
	delete(idx.docs, op.id)
	return doneItem(idx, op.id, "deleted", http.StatusOK, cur.version+1, idx.seqNo)
}

func checkSeqNo(op *writeOp, cur *doc) *esError {
	want, term := int64(-2), int64(0)
	if op.ifSeqNo != nil {
		want = *op.ifSeqNo
	}
	if op.ifTerm != nil {
		term = *op.ifTerm
	}
	if cur == nil {
		return newESError("version_conflict_engine_exception",
			"[%s]: version conflict, required seqNo [%d], primary term [%d]. but no document was found", op.id, want, term)
	}
	if cur.seqNo == want && term == primaryTerm {
		return nil
	}
	return newESError("version_conflict_engine_exception",
		"[%s]: version conflict, required seqNo [%d], primary term [%d]. current document has seqNo [%d] and primary term [%d]",
		op.id, want, term, cur.seqNo, primaryTerm)
}

// storeLocked maps and stores a full document, replacing cur if any.
func (s *Server) storeLocked(idx *index, op *writeOp, raw json.RawMessage, parsed map[string]any, cur *doc) *itemResult {
	m, err := applyDocument(idx.mapping, op.id, parsed)
	if err != nil {
		return failedItem(op, http.StatusBadRequest, err)
	}
	idx.mapping = m
	idx.seqNo++
	d := &doc{id: op.id, source: raw, parsed: parsed, fields: flatten(parsed), version: 1, seqNo: idx.seqNo}
	result, status := "created", http.StatusCreated
	if cur != nil {
		d.version = cur.version + 1
		result, status = "updated", http.StatusOK
	}
	idx.docs[op.id] = d
	return doneItem(idx, op.id, result, status, d.version, d.seqNo)
}

// updateLocked applies a partial-document update ("doc", "upsert",
// "doc_as_upsert", "detect_noop"). Scripts are not supported.
func (s *Server) updateLocked(idx *index, op *writeOp, cur *doc) *itemResult {
	body := op.parsed
	if _, ok := body["script"]; ok {
		return failedItem(op, http.StatusBadRequest, unsupported("update scripts").detail)
	}
	partial, hasDoc := body["doc"].(map[string]any)
	if !hasDoc {
		return failedItem(op, http.StatusBadRequest, newESError("action_request_validation_exception",
			"Validation Failed: 1: script or doc is missing;"))
	}
	if cur == nil {
		src := partial
		if asUpsert, _ := toBool(body["doc_as_upsert"]); !asUpsert {
			upsert, ok := body["upsert"].(map[string]any)
			if !ok {
				return failedItem(op, http.StatusNotFound, newESError("document_missing_exception",
					"[_doc][%s]: document missing", op.id).onIndex(idx.name, idx.uuid).with("shard", "0"))
			}
			src = upsert
		}
		raw, _ := json.Marshal(src)
		return s.storeLocked(idx, op, raw, src, nil)
	}
	merged := deepCopy(cur.parsed)
	deepMerge(merged, partial)
	if noop, ok := toBool(body["detect_noop"]); (!ok || noop) && reflect.DeepEqual(merged, cur.parsed) {
		return doneItem(idx, op.id, "noop", http.StatusOK, cur.version, cur.seqNo)
	}
	raw, _ := json.Marshal(merged)
	return s.storeLocked(idx, op, raw, merged, cur)
}

func deepCopy(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		if c, ok := v.(map[string]any); ok {
			out[k] = deepCopy(c)
		}
	}
	return out
}

// deepMerge merges src into dst the way a partial update does: objects
// merge recursively, everything else (arrays included) is replaced.
func deepMerge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// count records a decided item in the counters.
func (s *Server) count(res *itemResult) {
	switch {
	case res.Status == http.StatusConflict:
		s.stats.conflicts.Add(1)
	case res.Status == http.StatusBadRequest:
		s.stats.rejected.Add(1)
	case res.Status == http.StatusTooManyRequests || res.Status >= 500:
		s.stats.failedItems.Add(1)
	case res.Result == "created":
		s.stats.created.Add(1)
	case res.Result == "updated":
		s.stats.updated.Add(1)
	case res.Result == "deleted":
		s.stats.deleted.Add(1)
	}
}
