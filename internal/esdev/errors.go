package esdev

import (
	"fmt"
	"maps"
	"net/http"
)

// esError is the "error" object Elasticsearch puts in error responses and
// failed bulk items: a type, a human reason and a few well-known extras.
type esError struct {
	typ    string
	reason string
	// extra carries the optional keys real responses add, such as "index",
	// "index_uuid", "shard", "resource.type" or "line".
	extra    map[string]any
	causedBy *esError
	// root, when set, is reported as the root cause instead of the error
	// itself, as for search failures wrapping a shard's query error.
	root *esError
}

// newESError returns an error object of type typ with a formatted reason.
func newESError(typ, format string, args ...any) *esError {
	return &esError{typ: typ, reason: fmt.Sprintf(format, args...)}
}

// with adds an extra key and returns e, for chaining at construction.
func (e *esError) with(key string, value any) *esError {
	if e.extra == nil {
		e.extra = make(map[string]any)
	}
	e.extra[key] = value
	return e
}

// because sets the caused_by object and returns e.
func (e *esError) because(cause *esError) *esError {
	e.causedBy = cause
	return e
}

// onIndex adds the "index" and "index_uuid" keys Elasticsearch attaches to
// errors about one index.
func (e *esError) onIndex(name, uuid string) *esError {
	return e.with("index", name).with("index_uuid", uuid)
}

// object renders the error as it appears inside a response.
func (e *esError) object() map[string]any {
	o := map[string]any{"type": e.typ, "reason": e.reason}
	maps.Copy(o, e.extra)
	if e.causedBy != nil {
		o["caused_by"] = e.causedBy.object()
	}
	return o
}

// apiError is a failed request: the HTTP status plus the error object.
// A nil detail means the status alone is the answer (e.g. HEAD, 413).
type apiError struct {
	status int
	detail *esError
}

func (a *apiError) Error() string {
	if a.detail == nil {
		return http.StatusText(a.status)
	}
	return fmt.Sprintf("%d %s: %s", a.status, a.detail.typ, a.detail.reason)
}

// failf builds an apiError with a new error object.
func failf(status int, typ, format string, args ...any) *apiError {
	return &apiError{status: status, detail: newESError(typ, format, args...)}
}

// fail wraps an existing error object.
func fail(status int, e *esError) *apiError {
	return &apiError{status: status, detail: e}
}

// body renders the full error response: the error object with its
// root_cause list, and the status, as Elasticsearch 7 does.
func (a *apiError) body() map[string]any {
	o := a.detail.object()
	cause := a.detail
	if cause.root != nil {
		cause = cause.root
	}
	root := cause.object()
	delete(root, "caused_by")
	o["root_cause"] = []any{root}
	return map[string]any{"error": o, "status": a.status}
}

// indexNotFound is the error for a concrete index name that does not exist.
func indexNotFound(name string) *apiError {
	return fail(http.StatusNotFound, newESError("index_not_found_exception", "no such index [%s]", name).
		with("resource.type", "index_or_alias").with("resource.id", name).onIndex(name, "_na_"))
}

// badRequest is the catch-all for request bodies and parameters the
// stand-in cannot parse, shaped like Elasticsearch's parsing_exception.
func badRequest(format string, args ...any) *apiError {
	return failf(http.StatusBadRequest, "parsing_exception", format, args...)
}

// unsupported reports an Elasticsearch feature the stand-in does not
// implement. It answers 400 rather than ignoring it, so that no test passes
// by accident against behaviour a real cluster would not have.
func unsupported(format string, args ...any) *apiError {
	return failf(http.StatusBadRequest, "illegal_argument_exception",
		format+" is "+notSupported, args...)
}

// notSupported ends the reason of every refusal; tests look for it.
const notSupported = "not supported by the stand-in"
