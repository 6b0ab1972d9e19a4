package esdev

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// decodeStrict decodes one JSON value the way Elasticsearch's parser reads
// it: numbers stay json.Number (so 1 and 1.0 map to long and float), and a
// duplicate key in an object is an error rather than last-one-wins.
func decodeStrict(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

// decodeObject is decodeStrict for values that must be JSON objects.
func decodeObject(b []byte) (map[string]any, error) {
	v, err := decodeStrict(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a JSON object but found %s", jsonKind(v))
	}
	return m, nil
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		m := make(map[string]any)
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			if _, dup := m[k]; dup {
				//lint:ignore ST1005 this is the message Elasticsearch (Jackson) reports
				return nil, fmt.Errorf("Duplicate field '%s'", k)
			}
			if m[k], err = readValue(dec); err != nil {
				return nil, err
			}
		}
		_, err := dec.Token() // the closing brace
		return m, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return nil, fmt.Errorf("unexpected %q", d)
}

// jsonKind names a decoded value the way Jackson names tokens in
// Elasticsearch error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "START_OBJECT"
	case []any:
		return "START_ARRAY"
	case string:
		return "VALUE_STRING"
	case json.Number:
		return "VALUE_NUMBER"
	case bool:
		return "VALUE_BOOLEAN"
	}
	return "VALUE_NULL"
}

// readBody reads the request body, already un-gzipped and size-limited by
// the middleware, and checks its Content-Type as Elasticsearch 7 does.
func readBody(r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &apiError{status: http.StatusRequestEntityTooLarge}
		}
		return nil, badRequest("request body is not readable: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" && mt != "application/x-ndjson" {
		return nil, failf(http.StatusNotAcceptable, "media_type_header_exception",
			"Content-Type header [%s] is not supported", ct)
	}
	return b, nil
}

// readObjectBody reads an optional JSON object body; nil when empty.
func readObjectBody(r *http.Request) (map[string]any, *apiError) {
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

// writeJSON writes body with status; ?pretty indents it.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead || body == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if r.URL.Query().Has("pretty") {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(body); err != nil {
		s.log.Debug("writing response", "path", r.URL.Path, "err", err)
	}
}

// writeError writes an apiError in Elasticsearch's error shape.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, a *apiError) {
	if a.detail == nil {
		w.WriteHeader(a.status)
		return
	}
	s.writeJSON(w, r, a.status, a.body())
}

// toInt converts a decoded JSON number or numeric string to an int.
func toInt(v any) (int, bool) {
	f, ok := toFloat(v)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// toFloat converts a decoded JSON number or numeric string to a float64.
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

// toBool accepts JSON booleans and the strings "true" and "false".
func toBool(v any) (bool, bool) {
	switch t := v.(type) {
	case bool:
		return t, true
	case string:
		b, err := strconv.ParseBool(t)
		return b, err == nil && (t == "true" || t == "false")
	}
	return false, false
}

// scalarString renders a scalar JSON value as the string Elasticsearch
// indexes for keyword fields (numbers and booleans as written).
func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// paramBool reads a boolean query parameter; a bare "?x" counts as true.
func paramBool(r *http.Request, name string, def bool) bool {
	q := r.URL.Query()
	if !q.Has(name) {
		return def
	}
	v := q.Get(name)
	return v == "" || v == "true"
}
