package esdev

import (
	"encoding/json"
	"net/http"
)

// bulkMetaKeys are the action-line parameters Elasticsearch knows. The
// stand-in implements _index and _id (and _type "_doc"); the others change
// what a real cluster does with the item, so they are refused.
var bulkMetaKeys = map[string]bool{
	"_index": true, "_type": true, "_id": true, "routing": true, "op_type": true, "version": true,
	"version_type": true, "if_seq_no": true, "if_primary_term": true, "retry_on_conflict": true,
	"pipeline": true, "require_alias": true, "_source": true, "dynamic_templates": true,
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
	case len(obj) != 1:
		return nil, malformed("expected a single action but found [%d]", len(obj))
	}
	op := &writeOp{index: defaultIndex}
	var meta map[string]any
	for action, m := range obj {
		switch action {
		case "index", "create":
		case "update", "delete":
			return nil, unsupported("the bulk action [%s]", action)
		default:
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
			return nil, malformed("expected a simple value for field [%s] but found [%s]", k, jsonKind(v))
		}
		switch s := scalarString(v); {
		case k == "_index":
			op.index = s
		case k == "_id":
			op.id = s
		case k == "_type" && s == "_doc":
		case k == "op_type" && (s == op.action || s == "create"):
			op.action = s
		default:
			return nil, unsupported("the bulk parameter [%s]", k)
		}
	}
	if _, given := meta["_id"]; !given {
		op.id = newID()
	}
	return op, nil
}

// prepare decides what can be decided without the store lock: index name,
// _id and source validity and, for bulk items, the scripted faults. The
// fault predicates run here so they may call back into the Server.
func (s *Server) prepare(op *writeOp, withFaults bool) {
	if e := validateIndexName(op.index); e != nil {
		op.outcome = failedItem(op, http.StatusBadRequest, e)
		return
	}
	if op.id == "" {
		op.outcome = failedItem(op, http.StatusBadRequest,
			newESError("illegal_argument_exception", "if _id is specified it must not be empty"))
		return
	}
	parsed, err := decodeObject(op.source)
	if err != nil {
		op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "failed to parse").
			because(newESError("json_parse_exception", "%v", err)))
		return
	}
	op.parsed = parsed
	if !withFaults {
		return
	}
	var doc map[string]any // what predicates see: plain encoding/json types
	_ = json.Unmarshal(op.source, &doc)
	if status, ok := s.faults.itemFailure(op.index, doc); ok {
		op.outcome = failedItem(op, status, injectedItemError(status, op))
		return
	}
	if reason, ok := s.faults.rejection(op.index, doc); ok {
		op.outcome = failedItem(op, http.StatusBadRequest, newESError("mapper_parsing_exception", "%s", reason))
	}
}
