package esdev

import (
	"encoding/json"
	"net/http"
)

// getResult is the body of GET /{index}/_doc/{id}.
type getResult struct {
	Index       string          `json:"_index"`
	Type        string          `json:"_type"`
	ID          string          `json:"_id"`
	Version     int64           `json:"_version,omitempty"`
	SeqNo       *int64          `json:"_seq_no,omitempty"`
	PrimaryTerm int64           `json:"_primary_term,omitempty"`
	Found       bool            `json:"found"`
	Source      json.RawMessage `json:"_source,omitempty"`
}

// handleGetDoc serves GET and HEAD /{index}/_doc/{id}. It is real-time, as
// in Elasticsearch: it sees every write, refreshed or not.
func (s *Server) handleGetDoc(w http.ResponseWriter, r *http.Request, p params) {
	if aerr := checkParams(r, "realtime"); aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	if v := r.URL.Query().Get("realtime"); v == "false" {
		s.writeError(w, r, unsupported("realtime=false"))
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.indices[p["index"]]
	if idx == nil {
		s.writeError(w, r, indexNotFound(p["index"]))
		return
	}
	d := idx.docs[p["id"]]
	if d == nil {
		s.writeJSON(w, r, http.StatusNotFound, getResult{Index: idx.name, Type: "_doc", ID: p["id"]})
		return
	}
	seq := d.seqNo
	s.writeJSON(w, r, http.StatusOK, getResult{Index: idx.name, Type: "_doc", ID: d.id, Version: d.version,
		SeqNo: &seq, PrimaryTerm: primaryTerm, Found: true, Source: d.source})
}

// handleIndexDoc serves PUT/POST /{index}/_doc/{id} (op_type=create
// optional): one write through the path of a bulk item, without the
// scripted faults, answered with the item's status as HTTP status.
func (s *Server) handleIndexDoc(w http.ResponseWriter, r *http.Request, p params) {
	aerr := checkParams(r, "refresh", "op_type", "timeout", "wait_for_active_shards")
	var body []byte
	if aerr == nil {
		body, aerr = readBody(r)
	}
	var refresh string
	if aerr == nil {
		refresh, aerr = refreshParam(r)
	}
	op := &writeOp{action: "index", index: p["index"], id: p["id"], source: body}
	switch ot := r.URL.Query().Get("op_type"); {
	case aerr != nil:
	case len(op.id) > maxIDBytes:
		aerr = validationFailed(idTooLong(op.id))
	case ot == "create":
		op.action = ot
	case ot != "" && ot != "index":
		aerr = failf(http.StatusBadRequest, "illegal_argument_exception", "opType must be 'create' or 'index', found: [%s]", ot)
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.prepare(op, false)
	results, err := s.applyAll(r.Context(), []*writeOp{op}, refresh)
	if err != nil {
		return
	}
	res := results[0]
	s.count(res)
	if res.cause != nil {
		s.writeError(w, r, fail(res.Status, res.cause))
		return
	}
	status := res.Status
	res.Status = 0
	s.writeJSON(w, r, status, res)
}
