package esdev

import (
	"encoding/json"
	"net/http"
	"time"
)

// writeOp is one document write, from a bulk item or PUT _doc, after
// parsing. A non-nil outcome means it was decided before reaching the index
// (bad name or id, unparseable source, injected fault).
type writeOp struct {
	action  string // "index" or "create"
	index   string
	id      string
	source  json.RawMessage
	parsed  map[string]any
	outcome *itemResult
}

// shardsInfo is the "_shards" header of write and search responses.
type shardsInfo struct {
	Total      int `json:"total"`
	Successful int `json:"successful"`
	Failed     int `json:"failed"`
}

// itemResult is a bulk item result, also the body of PUT _doc (which
// leaves out "status").
type itemResult struct {
	Index         string         `json:"_index"`
	Type          string         `json:"_type"`
	ID            string         `json:"_id"`
	Version       int64          `json:"_version,omitempty"`
	Result        string         `json:"result,omitempty"`
	ForcedRefresh bool           `json:"forced_refresh,omitempty"`
	Shards        *shardsInfo    `json:"_shards,omitempty"`
	SeqNo         *int64         `json:"_seq_no,omitempty"`
	PrimaryTerm   int64          `json:"_primary_term,omitempty"`
	Status        int            `json:"status,omitempty"`
	Error         map[string]any `json:"error,omitempty"`

	cause *esError // the error behind Error, for PUT _doc
}

func failedItem(op *writeOp, status int, e *esError) *itemResult {
	return &itemResult{Index: op.index, Type: "_doc", ID: op.id, Status: status, Error: e.object(), cause: e}
}

// applyLocked performs op against the store. The caller holds s.mu for
// writing; op.outcome is nil.
func (s *Server) applyLocked(op *writeOp, now time.Time) *itemResult {
	idx := s.indices[op.index]
	if idx == nil {
		if s.noAutoCreate {
			return failedItem(op, http.StatusNotFound, indexNotFound(op.index))
		}
		settings, m := s.templateForLocked(op.index)
		idx = s.newIndexLocked(op.index, settings, m)
	}
	if res := refuseWrite(op, idx); res != nil {
		return res
	}
	// Overwrites (index of an existing _id) would need versions and
	// superseded copies; logpipe only creates, so they are refused.
	if idx.docs[op.id] != nil && op.action == "create" {
		return failedItem(op, http.StatusConflict, newESError("version_conflict_engine_exception",
			"[%s]: version conflict, document already exists (current version [1])", op.id).
			onIndex(idx.name, idx.uuid).with("shard", "0"))
	} else if idx.docs[op.id] != nil {
		return failedItem(op, http.StatusBadRequest, unsupported("overwriting the document [%s]", op.id))
	}
	m, err := applyDocument(idx.mapping, op.id, op.parsed)
	if err == nil && m != idx.mapping {
		err = m.checkLimit(idx)
	}
	if err != nil {
		return failedItem(op, http.StatusBadRequest, err)
	}
	idx.mapping = m
	idx.seqNo++
	d := &doc{id: op.id, source: op.source, fields: flatten(op.parsed), seqNo: idx.seqNo, at: now}
	s.addLocked(idx, d)
	return &itemResult{Index: idx.name, Type: "_doc", ID: d.id, Version: 1, Result: "created",
		Shards: &shardsInfo{Total: 1 + idx.replicas(), Successful: 1}, SeqNo: &d.seqNo, PrimaryTerm: primaryTerm, Status: http.StatusCreated}
}

// count records a created document or a conflict in the counters.
func (s *Server) count(res *itemResult) {
	if c := map[int]*int64{http.StatusCreated: &s.stats.Created, http.StatusConflict: &s.stats.Conflicts}[res.Status]; c != nil {
		s.bump(c, 1)
	}
}

// handleGetDoc serves GET /{index}/_doc/{id}. It is real-time, as
// in Elasticsearch: it sees every write, refreshed or not.
func (s *Server) handleGetDoc(w http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.indices[p["index"]]
	if idx == nil {
		return nil, indexNotFound(p["index"])
	}
	out := map[string]any{"_index": idx.name, "_type": "_doc", "_id": p["id"], "found": false}
	if d := idx.docs[p["id"]]; d != nil {
		out["found"], out["_version"], out["_seq_no"], out["_primary_term"], out["_source"] = true, 1, d.seqNo, primaryTerm, d.source
		return out, nil
	}
	s.writeJSON(w, r, http.StatusNotFound, out)
	return nil, nil
}

// handleIndexDoc serves PUT /{index}/_doc/{id}: one write through the
// path of a bulk item (op_type index), without the scripted faults,
// answered with the item's status as HTTP status.
func (s *Server) handleIndexDoc(w http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	body, aerr := readBody(r)
	op := &writeOp{action: "index", index: p["index"], id: p["id"], source: body}
	if len(op.id) > maxIDBytes {
		aerr = validationFailed(idTooLong(op.id))
	}
	results, aerr := s.applyAll(r, []*writeOp{op}, false, aerr)
	if results == nil {
		return nil, aerr
	}
	res := results[0]
	if res.cause != nil {
		return nil, fail(res.Status, res.cause)
	}
	status := res.Status
	res.Status = 0
	s.writeJSON(w, r, status, res)
	return nil, nil
}
