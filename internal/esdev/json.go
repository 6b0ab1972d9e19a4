package esdev

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
)

// esError is an Elasticsearch error: the "error" object of error answers
// and failed bulk items (a type, a reason, extras such as "index", a cause,
// and for search failures wrapping a shard's error the root cause), with
// the HTTP status when it fails a request or an item (0 for a cause; no
// type answers with the status alone, 413).
type esError struct {
	status         int
	typ, reason    string
	extra          map[string]any
	causedBy, root *esError
}

func newESError(typ, format string, args ...any) *esError {
	return &esError{typ: typ, reason: fmt.Sprintf(format, args...), extra: map[string]any{}}
}

func failf(status int, typ, format string, args ...any) *esError {
	return fail(status, newESError(typ, format, args...))
}

func fail(status int, e *esError) *esError { e.status = status; return e }

func (e *esError) with(key string, value any) *esError { e.extra[key] = value; return e }

func (e *esError) because(cause *esError) *esError { e.causedBy = cause; return e }

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

func badRequest(format string, args ...any) *esError {
	return failf(http.StatusBadRequest, "parsing_exception", format, args...)
}

// notSupported ends the reason of every refusal; tests look for it.
const notSupported = "not supported by the stand-in"

// unsupported refuses an Elasticsearch feature the stand-in does not
// implement: 400 rather than ignoring it, so that no test passes by
// accident against behaviour a real cluster would not have.
func unsupported(format string, args ...any) *esError {
	return failf(http.StatusBadRequest, "illegal_argument_exception", format+" is "+notSupported, args...)
}

// allowKeys refuses the keys of obj the stand-in does not implement at
// where ("the [range] query"): never ignored, as a real cluster acts on them.
func allowKeys(obj map[string]any, where string, allowed ...string) *esError {
	for k := range obj {
		if !slices.Contains(allowed, k) {
			return unsupported("[%s] in %s", k, where)
		}
	}
	return nil
}

// indexNotFound is the error for a concrete index name that does not exist.
func indexNotFound(name string) *esError {
	return fail(http.StatusNotFound, newESError("index_not_found_exception", "no such index [%s]", name).
		with("resource.type", "index_or_alias").with("resource.id", name).onIndex(name, "_na_"))
}

// writeError writes an error in Elasticsearch 7's shape: the error
// object with its root_cause list, and the status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, a *esError) {
	if a.typ == "" {
		s.log.Debug("request", "method", r.Method, "uri", r.URL.RequestURI(), "status", a.status)
		w.WriteHeader(a.status)
		return
	}
	root := cmp.Or(a.root, a).object()
	delete(root, "caused_by")
	o := a.object()
	o["root_cause"] = []any{root}
	s.writeJSON(w, r, a.status, map[string]any{"error": o, "status": a.status})
}

// plainText is an answer in text, not JSON (_cat without ?format=json).
type plainText string

// writeJSON writes body with status; ?pretty indents it. Every answer but
// a bare 413 goes through here, which logs it.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	s.log.Debug("request", "method", r.Method, "uri", r.URL.RequestURI(), "status", status)
	t, isText := body.(plainText)
	w.Header().Set("Content-Type", map[bool]string{true: "text/plain", false: "application/json"}[isText]+"; charset=UTF-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead || isText {
		_, _ = io.WriteString(w, string(t)) // the client went away
		return
	}
	if fp, _ := filterPathOf(r); fp != nil && status == http.StatusOK {
		if kept, err := fp.apply(body); err == nil {
			body = kept
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if r.URL.Query().Has("pretty") {
		enc.SetIndent("", "  ")
	}
	_ = enc.Encode(body) // the client went away
}

// readBody reads the request body, size-limited by serveHTTP, and checks
// its Content-Type as Elasticsearch 7 does.
func readBody(r *http.Request) ([]byte, *esError) {
	b, err := io.ReadAll(r.Body)
	if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
		return nil, &esError{status: http.StatusRequestEntityTooLarge}
	}
	if len(bytes.TrimSpace(b)) == 0 || err != nil {
		return nil, nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" && mt != "application/x-ndjson" {
		return nil, failf(http.StatusNotAcceptable, "media_type_header_exception",
			"Content-Type header [%s] is not supported", r.Header.Get("Content-Type"))
	}
	return b, nil
}

// readObjectBody reads an optional JSON object body; nil when empty.
func readObjectBody(r *http.Request) (map[string]any, *esError) {
	b, aerr := readBody(r)
	if aerr != nil || b == nil {
		return nil, aerr
	}
	m, err := decodeObject(b)
	if err != nil {
		return nil, failf(http.StatusBadRequest, "x_content_parse_exception", "%v", err)
	}
	return m, nil
}

// decodeObject decodes a JSON object the way Elasticsearch's parser reads
// it: numbers stay json.Number (1 and 1.0 map to long and float), and a
// duplicate key is an error rather than last-one-wins.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readValue(dec)
	if _, end := dec.Token(); err == nil && !errors.Is(end, io.EOF) {
		err = fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	m, ok := v.(map[string]any)
	if err == nil && !ok {
		err = fmt.Errorf("expected START_OBJECT but found [%v]", v)
	}
	return m, err
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	d, isDelim := tok.(json.Delim)
	if err != nil || !isDelim {
		return tok, err
	}
	m, a := map[string]any{}, []any{}
	for dec.More() {
		k := ""
		if d == '{' {
			kt, _ := dec.Token()
			k, _ = kt.(string)
			if _, dup := m[k]; dup {
				//lint:ignore ST1005 Elasticsearch's (Jackson's) message
				return nil, fmt.Errorf("Duplicate field '%s'", k)
			}
		}
		v, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		if d == '[' {
			a = append(a, v)
		} else {
			m[k] = v
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return nil, err
	}
	if d == '[' {
		return a, nil
	}
	return m, nil
}

func toInt(v any) (int, bool) {
	f, ok := toFloat(v)
	return int(f), ok && f == float64(int(f))
}

// toFloat converts a JSON number, a Go number or a numeric string.
func toFloat(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case string:
		f, err := strconv.ParseFloat(t, 64)
		return f, err == nil
	}
	return 0, false
}

// docNumber reads a numeric or boolean doc value as a number (booleans
// as 0 and 1, as Elasticsearch's doc values hold them).
func docNumber(v any) (float64, bool) {
	if b, ok := toBool(v); ok {
		return map[bool]float64{true: 1}[b], true
	}
	return toFloat(v)
}

// toBool accepts JSON booleans and the strings "true" and "false".
func toBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		return t == "true", t == "true" || t == "false"
	}
	return false, false
}

// scalarString renders a scalar as the string Elasticsearch indexes for
// keyword fields (numbers and booleans as written).
func scalarString(v any) string {
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}
