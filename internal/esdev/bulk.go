package esdev

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// maxIDBytes is the longest _id Elasticsearch accepts.
const maxIDBytes = 512

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
	aerr := checkParams(r, "refresh", "timeout", "wait_for_active_shards")
	var body []byte
	if aerr == nil {
		body, aerr = readBody(r)
	}
	if aerr == nil {
		if status, ok := s.faults.takeBulkFailure(); ok {
			s.stats.failedBulks.Add(1)
			aerr = injectedBulkError(status)
		}
	}
	var refresh string
	if aerr == nil {
		refresh, aerr = refreshParam(r)
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
	results, err := s.applyAll(r.Context(), ops, refresh)
	if err != nil {
		return // the client went away while waiting for a refresh
	}
	resp := bulkResponse{Items: make([]map[string]*itemResult, len(ops))}
	for i, res := range results {
		s.count(res)
		resp.Errors = resp.Errors || res.Error != nil
		resp.Items[i] = map[string]*itemResult{ops[i].action: res}
	}
	resp.Took = time.Since(start).Milliseconds()
	s.writeJSON(w, r, http.StatusOK, resp)
}

// refreshParam reads ?refresh: "" (none), "true" or "wait_for".
func refreshParam(r *http.Request) (string, *apiError) {
	q := r.URL.Query()
	switch v := q.Get("refresh"); {
	case !q.Has("refresh") || v == "false":
		return "", nil
	case v == "" || v == "true":
		return "true", nil
	case v == "wait_for":
		return v, nil
	default:
		return "", failf(http.StatusBadRequest, "illegal_argument_exception", "Unknown value for refresh: [%s].", v)
	}
}

// applyAll applies the undecided operations in order under one lock, so a
// bulk request is never interleaved with another write, then honours
// ?refresh on the indices written to.
func (s *Server) applyAll(ctx context.Context, ops []*writeOp, refresh string) ([]*itemResult, error) {
	now := time.Now()
	out := make([]*itemResult, len(ops))
	written := map[string]*index{}
	s.mu.Lock()
	for i, op := range ops {
		if out[i] = op.outcome; out[i] == nil {
			out[i] = s.applyLocked(op, now)
			if out[i].Error == nil {
				written[op.index] = s.indices[op.index]
			}
		}
	}
	var waits []chan struct{}
	refreshed := map[string][]json.RawMessage{}
	for name, idx := range written {
		switch refresh {
		case "true":
			refreshed[name] = s.refreshLocked(idx)
		case "wait_for":
			waits = append(waits, idx.refreshed)
		}
	}
	s.mu.Unlock()
	for name, srcs := range refreshed {
		s.notifyRefresh(name, srcs)
	}
	for _, res := range out {
		res.ForcedRefresh = refresh == "true" && res.Error == nil
	}
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// parseBulk splits an NDJSON bulk body into write operations. Errors here
// fail the whole request with 400, as Elasticsearch does for malformed
// action lines and for request validation (an _id over 512 bytes); a
// malformed document line only fails its item (prepare).
func parseBulk(body []byte, defaultIndex string) ([]*writeOp, *apiError) {
	if len(body) > 0 && body[len(body)-1] != '\n' {
		return nil, failf(http.StatusBadRequest, "illegal_argument_exception",
			"The bulk request must be terminated by a newline [\\n]")
	}
	lines := bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n"))
	var ops []*writeOp
	var invalid []string
	for i := 0; i < len(lines); i++ {
		line := bytes.TrimSuffix(lines[i], []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		op, aerr := parseAction(line, i+1, defaultIndex)
		if aerr != nil {
			return nil, aerr
		}
		if op.index == "" {
			invalid = append(invalid, "index is missing")
		}
		if len(op.id) > maxIDBytes {
			invalid = append(invalid, idTooLong(op.id))
		}
		if i+1 >= len(lines) {
			invalid = append(invalid, "source is missing")
			break
		}
		i++
		op.source = bytes.TrimSpace(lines[i])
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

func idTooLong(id string) string {
	return fmt.Sprintf("id [%s] is too long, must be no longer than %d bytes but was: %d", id, maxIDBytes, len(id))
}

// validationFailed is Elasticsearch's action_request_validation_exception.
func validationFailed(why ...string) *apiError {
	var b strings.Builder
	b.WriteString("Validation Failed: ")
	for i, w := range why {
		fmt.Fprintf(&b, "%d: %s;", i+1, w)
	}
	return failf(http.StatusBadRequest, "action_request_validation_exception", "%s", b.String())
}
