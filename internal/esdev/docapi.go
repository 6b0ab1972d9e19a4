package esdev

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
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

// handleGetDoc serves GET and HEAD /{index}/_doc/{id}.
func (s *Server) handleGetDoc(w http.ResponseWriter, r *http.Request, p params) {
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

// handleIndexDoc serves PUT/POST /{index}/_doc/{id}, POST /{index}/_doc
// (generated id) and PUT/POST /{index}/_create/{id}.
func (s *Server) handleIndexDoc(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	op := &writeOp{action: "index", index: p["index"], id: p["id"], source: body}
	switch {
	case strings.Contains(r.URL.Path, "/_create/") || r.URL.Query().Get("op_type") == "create":
		op.action = "create"
	case op.id == "":
		op.id, op.action = newID(), "create"
	}
	for name, dst := range map[string]**int64{"if_seq_no": &op.ifSeqNo, "if_primary_term": &op.ifTerm} {
		if v := r.URL.Query().Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				s.writeError(w, r, badRequest("[%s] must be a number, got [%s]", name, v))
				return
			}
			*dst = &n
		}
	}
	s.writeSingle(w, r, op)
}

// handleUpdateDoc serves POST /{index}/_update/{id}.
func (s *Server) handleUpdateDoc(w http.ResponseWriter, r *http.Request, p params) {
	body, aerr := readBody(r)
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	s.writeSingle(w, r, &writeOp{action: "update", index: p["index"], id: p["id"], source: body})
}

// handleDeleteDoc serves DELETE /{index}/_doc/{id}.
func (s *Server) handleDeleteDoc(w http.ResponseWriter, r *http.Request, p params) {
	s.writeSingle(w, r, &writeOp{action: "delete", index: p["index"], id: p["id"]})
}

// writeSingle runs one write through the same path as a bulk item, without
// the scripted faults, and answers with the item's status as HTTP status.
func (s *Server) writeSingle(w http.ResponseWriter, r *http.Request, op *writeOp) {
	s.prepare(op, false)
	res := s.applyAll([]*writeOp{op})[0]
	s.count(res)
	if res.cause != nil {
		s.writeError(w, r, fail(res.Status, res.cause))
		return
	}
	status := res.Status
	res.Status = 0
	s.writeJSON(w, r, status, res)
}
