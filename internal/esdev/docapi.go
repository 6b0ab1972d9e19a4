package esdev

import (
	"cmp"
	"net/http"
)

// handleGetDoc serves GET /{index}/_doc/{id}. It is real-time, as
// in Elasticsearch: it sees every write, refreshed or not.
func (s *Server) handleGetDoc(w http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	if aerr := checkParams(r); aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.indices[p["index"]]
	if idx == nil {
		return nil, indexNotFound(p["index"])
	}
	out := map[string]any{"_index": idx.name, "_type": "_doc", "_id": p["id"], "found": false}
	if d := idx.docs[p["id"]]; d != nil {
		out["found"], out["_version"], out["_seq_no"], out["_primary_term"], out["_source"] = true, d.version, d.seqNo, primaryTerm, d.source
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
	refresh, rerr := refreshParam(r)
	op := &writeOp{action: "index", index: p["index"], id: p["id"], source: body}
	if len(op.id) > maxIDBytes {
		aerr = validationFailed(idTooLong(op.id))
	}
	if aerr = cmp.Or(checkParams(r, "refresh", "timeout", "wait_for_active_shards"), aerr, rerr); aerr != nil {
		return nil, aerr
	}
	s.prepare(op, false)
	results, err := s.applyAll(r.Context(), []*writeOp{op}, refresh)
	if err != nil {
		return nil, nil // the client went away while waiting for a refresh
	}
	res := results[0]
	s.count(res)
	if res.cause != nil {
		return nil, fail(res.Status, res.cause)
	}
	status := res.Status
	res.Status = 0
	s.writeJSON(w, r, status, res)
	return nil, nil
}
