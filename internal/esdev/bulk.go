package esdev

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// bulkActions are the action names a bulk action line may use.
var bulkActions = map[string]bool{"index": true, "create": true, "update": true, "delete": true}

// bulkMetaKeys are the parameters an action line may carry; anything else
// fails the whole request, as in Elasticsearch. routing, version and
// pipeline are accepted and ignored.
var bulkMetaKeys = map[string]bool{
	"_index": true, "_type": true, "_id": true, "routing": true, "op_type": true, "version": true,
	"version_type": true, "if_seq_no": true, "if_primary_term": true, "retry_on_conflict": true,
	"pipeline": true, "require_alias": true, "_source": true,
}

// bulkResponse is the body of a _bulk answer.
type bulkResponse struct {
	Took   int64                    `json:"took"`
	Errors bool                     `json:"errors"`
	Items  []map[string]*itemResult `json:"items"`
}

// handleBulk serves POST /_bulk and POST /{index}/_bulk.
func (s *Server) handleBulk(w http.ResponseWriter, r *http.Request, p params) {
	start := time.Now()
	s.stats.bulkRequests.Add(1)
	body, aerr := readBody(r)
	if aerr == nil {
		if status, ok := s.faults.takeBulkFailure(); ok {
			s.stats.failedBulks.Add(1)
			aerr = injectedBulkError(status)
		}
	}
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	ops, aerr := parseBulk(body, p["index"])
	if aerr != nil {
		s.stats.malformedBulks.Add(1)
		s.writeError(w, r, aerr)
		return
	}
	s.stats.bulkItems.Add(int64(len(ops)))
	for _, op := range ops {
		s.prepare(op, true)
	}
	resp := bulkResponse{Items: make([]map[string]*itemResult, len(ops))}
	for i, res := range s.applyAll(ops) {
		s.count(res)
		resp.Errors = resp.Errors || res.Error != nil
		resp.Items[i] = map[string]*itemResult{ops[i].action: res}
	}
	resp.Took = time.Since(start).Milliseconds()
	s.writeJSON(w, r, http.StatusOK, resp)
}

// applyAll applies the undecided operations in order under one lock, so a
// bulk request is never interleaved with another write.
func (s *Server) applyAll(ops []*writeOp) []*itemResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*itemResult, len(ops))
	for i, op := range ops {
		if out[i] = op.outcome; out[i] == nil {
			out[i] = s.applyLocked(op)
		}
	}
	return out
}

// parseBulk splits an NDJSON bulk body into write operations. Errors here
// fail the whole request with 400, as Elasticsearch does for malformed
// action lines; a malformed document line only fails its item (prepare).
func parseBulk(body []byte, defaultIndex string) ([]*writeOp, *apiError) {
	if len(body) == 0 {
		return nil, failf(http.StatusBadRequest, "action_request_validation_exception",
			"Validation Failed: 1: no requests added;")
	}
	if body[len(body)-1] != '\n' {
		return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
			"The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	var ops []*writeOp
	var invalid []string
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSuffix(lines[i], []byte("\r"))
		if len(line) == 0 {
			continue
		}
		op, aerr := parseAction(line, i+1, defaultIndex)
		if aerr != nil {
			return nil, aerr
		}
		if op.index == "" {
			invalid = append(invalid, "index is missing")
		}
		if op.id == "" && (op.action == "update" || op.action == "delete") {
			invalid = append(invalid, "id is missing")
		}
		if op.action != "delete" {
			if i+1 >= len(lines) {
				invalid = append(invalid, "source is missing")
				break
			}
			i++
			op.source = bytes.TrimSpace(lines[i])
		}
		if op.id == "" {
			op.id = newID()
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		invalid = append(invalid, "no requests added")
	}
	if len(invalid) > 0 {
		var b strings.Builder
		b.WriteString("Validation Failed: ")
		for i, why := range invalid {
			fmt.Fprintf(&b, "%d: %s;", i+1, why)
		}
		return nil, failf(http.StatusBadRequest, "action_request_validation_exception", "%s", b.String())
	}
	return ops, nil
}

// parseAction reads one action/metadata line.
func parseAction(line []byte, n int, defaultIndex string) (*writeOp, *apiError) {
	malformed := func(format string, args ...any) *apiError {
		return failf(http.StatusBadRequest, "illegal_argument_exception",
			"Malformed action/metadata line [%d], "+format, append([]any{n}, args...)...)
	}
	v, err := decodeStrict(line)
	if err != nil {
		return nil, failf(http.StatusBadRequest, "x_content_parse_exception",
			"Malformed action/metadata line [%d]: %v", n, err)
	}
	obj, ok := v.(map[string]any)
	switch {
	case !ok:
		return nil, malformed("expected START_OBJECT but found [%s]", jsonKind(v))
	case len(obj) == 0:
		return nil, malformed("expected FIELD_NAME but found [END_OBJECT]")
	case len(obj) > 1:
		return nil, malformed("expected END_OBJECT but found [FIELD_NAME]")
	}
	op := &writeOp{index: defaultIndex}
	var meta map[string]any
	for action, m := range obj {
		if !bulkActions[action] {
			return nil, malformed("expected one of [create, delete, index, update] but found [%s]", action)
		}
		if meta, ok = m.(map[string]any); !ok {
			return nil, malformed("expected START_OBJECT or END_OBJECT but found [%s]", jsonKind(m))
		}
		op.action = action
	}
	for k, v := range meta {
		if !bulkMetaKeys[k] {
			return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
				"Action/metadata line [%d] contains an unknown parameter [%s]", n, k)
		}
		switch v.(type) {
		case map[string]any, []any:
			if k != "_source" {
				return nil, malformed("expected a simple value for field [%s] but found [%s]", k, jsonKind(v))
			}
		}
		switch k {
		case "_index":
			op.index = scalarString(v)
		case "_id":
			op.id = scalarString(v)
		case "op_type":
			switch ot := scalarString(v); {
			case ot == "create" && op.action == "index":
				op.action = "create"
			case ot != op.action:
				return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
					"opType must be 'create' or 'index', found: [%s]", ot)
			}
		case "if_seq_no", "if_primary_term":
			n, ok := toFloat(v)
			if !ok {
				return nil, malformed("[%s] must be a number", k)
			}
			i := int64(n)
			if k == "if_seq_no" {
				op.ifSeqNo = &i
			} else {
				op.ifTerm = &i
			}
		}
	}
	return op, nil
}

// prepare decides what can be decided without the store lock: index name
// validity, source parsing and, for bulk items, the scripted faults. The
// fault predicates run here so they may call back into the Server.
func (s *Server) prepare(op *writeOp, withFaults bool) {
	if e := validateIndexName(op.index); e != nil {
		op.outcome = failedItem(op, http.StatusBadRequest, e)
		return
	}
	if op.action != "delete" {
		parsed, err := decodeObject(op.source)
		if err != nil {
			op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "failed to parse").
				because(newESError("json_parse_exception", "%v", err)))
			return
		}
		op.parsed = parsed
	}
	if !withFaults {
		return
	}
	doc := predicateDoc(op)
	if status, ok := s.faults.itemFailure(op.index, doc); ok {
		op.outcome = failedItem(op, status, injectedItemError(status, op))
		return
	}
	if reason, ok := s.faults.rejection(op.index, doc); ok {
		op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "%s", reason))
	}
}

// predicateDoc decodes the document a fault predicate sees with plain
// encoding/json types (float64 numbers): the document of index and create,
// the partial "doc" of update, nil for delete.
func predicateDoc(op *writeOp) map[string]any {
	if op.action == "delete" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(op.source, &m) != nil {
		return nil
	}
	if op.action == "update" {
		inner, _ := m["doc"].(map[string]any)
		return inner
	}
	return m
}
