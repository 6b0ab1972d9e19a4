package esdev

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxIDBytes is the longest _id Elasticsearch accepts.
const maxIDBytes = 512

// handleBulk serves POST [/{index}]/_bulk.
func (s *Server) handleBulk(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	start := time.Now()
	s.bump(&s.stats.BulkRequests, 1)
	body, aerr := readBody(r)
	if aerr != nil {
		return nil, aerr
	}
	if status := s.faults.takeBulkFailure(); status != 0 {
		s.bump(&s.stats.FailedBulks, 1)
		return nil, injected(status, nil)
	}
	ops, aerr := parseBulk(body, p["index"])
	if aerr != nil {
		s.bump(&s.stats.MalformedBulks, 1)
		return nil, aerr
	}
	results, aerr := s.applyAll(r, ops, true, nil)
	if results == nil {
		return nil, aerr // nil when the client went away while waiting for a refresh
	}
	items, failed := make([]any, len(results)), false
	for i, res := range results {
		failed = failed || res.Error != nil
		items[i] = map[string]*itemResult{ops[i].action: res}
	}
	return map[string]any{"took": time.Since(start).Milliseconds(), "errors": failed, "items": items}, nil
}

// refreshParam reads ?refresh: "" (none), "true" or "wait_for".
func refreshParam(r *http.Request) (string, *esError) {
	switch v := r.URL.Query().Get("refresh"); {
	case !r.URL.Query().Has("refresh") || v == "false":
		return "", nil
	case v == "" || v == "true" || v == "wait_for":
		return cmp.Or(v, "true"), nil
	}
	return "", failf(http.StatusBadRequest, "illegal_argument_exception", "Unknown value for refresh: [%s].", r.URL.Query().Get("refresh"))
}

// applyAll decides ops (prepare, faults if asked) and applies the
// undecided ones in order under one lock, so a request is never
// interleaved with another write, then honours ?refresh on the indices
// written to: true refreshes them before the answer, wait_for answers
// after their next refresh. It returns no results with aerr, an error of
// ?refresh, or nothing when the client went away while waiting.
func (s *Server) applyAll(r *http.Request, ops []*writeOp, faults bool, aerr *esError) ([]*itemResult, *esError) {
	refresh, rerr := refreshParam(r)
	if aerr = cmp.Or(aerr, rerr); aerr != nil {
		return nil, aerr
	}
	for _, op := range ops {
		s.prepare(op, faults)
	}
	now := time.Now()
	out := make([]*itemResult, len(ops))
	written := map[string]*index{}
	s.mu.Lock()
	for i, op := range ops {
		if out[i] = op.outcome; out[i] == nil {
			out[i] = s.applyLocked(op, now)
		}
		if out[i].Error == nil {
			written[op.index] = s.indices[op.index]
			out[i].ForcedRefresh = refresh == "true"
		}
	}
	var waits []chan struct{}
	refreshed := map[string][]json.RawMessage{}
	for name, idx := range written {
		if refresh == "true" {
			refreshed[name] = s.refreshLocked(idx)
		}
		if refresh == "wait_for" {
			waits = append(waits, idx.refreshed)
		}
	}
	s.mu.Unlock()
	s.notifyRefresh(refreshed)
	for _, ch := range waits {
		select {
		case <-ch:
		case <-r.Context().Done():
			return nil, nil
		}
	}
	for _, res := range out {
		s.count(res)
	}
	return out, nil
}

// parseBulk splits an NDJSON bulk body into write operations. Errors here
// fail the whole request with 400, as Elasticsearch does for malformed
// action lines and for request validation (an _id over 512 bytes); a
// malformed document only fails its item (prepare).
func parseBulk(body []byte, defaultIndex string) ([]*writeOp, *esError) {
	if len(body) > 0 && body[len(body)-1] != '\n' {
		return nil, failf(http.StatusBadRequest, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	var ops []*writeOp
	var invalid []string
	for i := 0; i < len(lines); i++ {
		if len(bytes.TrimSpace(lines[i])) == 0 {
			continue
		}
		op, aerr := parseAction(lines[i], i+1, defaultIndex)
		switch {
		case aerr != nil:
			return nil, aerr
		case op.index == "":
			invalid = append(invalid, "index is missing")
		case len(op.id) > maxIDBytes:
			invalid = append(invalid, idTooLong(op.id))
		case i+1 == len(lines):
			invalid = append(invalid, "source is missing")
		}
		if i++; i < len(lines) {
			op.source = bytes.TrimSpace(lines[i])
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		invalid = append(invalid, "no requests added")
	}
	if len(invalid) > 0 {
		return nil, validationFailed(invalid...)
	}
	return ops, nil
}

// parseAction reads one action/metadata line.
func parseAction(line []byte, n int, defaultIndex string) (*writeOp, *esError) {
	obj, err := decodeObject(line)
	if err != nil || len(obj) != 1 {
		return nil, failf(http.StatusBadRequest, "x_content_parse_exception", "Malformed action/metadata line [%d]: %v", n, err)
	}
	op := &writeOp{index: defaultIndex, id: randomString(15)}
	for action, m := range obj {
		meta, ok := m.(map[string]any)
		switch {
		case action == "update" || action == "delete":
			return nil, unsupported("the bulk action [%s]", action)
		case action != "index" && action != "create" || !ok:
			return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
				"Malformed action/metadata line [%d], expected one of [create, delete, index, update] but found [%s]", n, action)
		}
		op.action = action
		// Other parameters (routing, version_type, if_seq_no, pipeline,
		// require_alias, ...) change what a real cluster does with the item.
		for k, v := range meta {
			switch s := scalarString(v); {
			case k == "_index":
				op.index = s
			case k == "_id":
				op.id = s
			case k == "_type" && s == "_doc":
			case k == "op_type" && (s == action || s == "create"):
				op.action = s
			default:
				return nil, unsupported("the bulk parameter [%s]", k)
			}
		}
	}
	return op, nil
}

func idTooLong(id string) string {
	return fmt.Sprintf("id [%s] is too long, must be no longer than %d bytes but was: %d", id, maxIDBytes, len(id))
}

// validationFailed is Elasticsearch's action_request_validation_exception.
func validationFailed(why ...string) *esError {
	for i := range why {
		why[i] = fmt.Sprintf("%d: %s;", i+1, why[i])
	}
	return failf(http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: %s", strings.Join(why, ""))
}

// prepare decides what can be decided without the store lock: index name,
// _id and source validity and, for bulk items, the scripted faults. The
// fault predicates run here so they may call back into the Server.
func (s *Server) prepare(op *writeOp, withFaults bool) {
	var err error
	if e := validateIndexName(op.index); e != nil {
		op.outcome = failedItem(op, http.StatusBadRequest, e)
	} else if op.id == "" {
		op.outcome = failedItem(op, http.StatusBadRequest, newESError("illegal_argument_exception", "if _id is specified it must not be empty"))
	} else if op.parsed, err = decodeObject(op.source); err != nil {
		op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "failed to parse").
			because(newESError("json_parse_exception", "%v", err)))
	}
	if op.outcome != nil || !withFaults {
		return
	}
	sc := s.faults.get()
	var doc map[string]any // what predicates see: plain encoding/json types
	if sc.reject != nil || sc.failItem != nil {
		_ = json.Unmarshal(op.source, &doc)
	}
	if sc.failItem != nil {
		if status, ok := sc.failItem(op.index, doc); ok {
			e := injected(status, op)
			op.outcome = failedItem(op, e.status, e)
			return
		}
	}
	if sc.reject != nil {
		if reason, ok := sc.reject(op.index, doc); ok {
			op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "%s", reason))
		}
	}
}
