package esdev_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestDocumentIDs: "_id is limited to 512 bytes in size and larger values
// will be rejected" — by request validation, which fails a whole bulk with
// action_request_validation_exception — and an empty _id fails its item
// with "if _id is specified it must not be empty", where a missing _id
// gets a generated one.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/mapping-id-field.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-bulk.html
func TestDocumentIDs(t *testing.T) {
	s := startServer(t)
	r := bulk(t, s.URL(),
		`{"create":{"_index":"logs","_id":""}}`, `{}`,
		`{"create":{"_index":"logs"}}`, `{}`,
		`{"create":{"_index":"logs","_id":"`+strings.Repeat("x", 512)+`"}}`, `{}`)
	wantItems(t, r, "400 illegal_argument_exception", "201", "201")
	if s.Count("logs") != 2 {
		t.Errorf("stored %d documents, want 2", s.Count("logs"))
	}
	long := strings.Repeat("x", 513)
	if r := bulk(t, s.URL(), `{"create":{"_index":"logs","_id":"`+long+`"}}`, `{}`); r.status != 400 ||
		r.errorType() != "action_request_validation_exception" || !strings.Contains(r.text, "must be no longer than 512 bytes") {
		t.Errorf("513-byte _id in a bulk: %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodPut, s.URL()+"/logs/_doc/"+long, `{}`); r.status != 400 || r.errorType() != "action_request_validation_exception" {
		t.Errorf("513-byte _id in PUT _doc: %d %s", r.status, r.text)
	}
}

// TestIndexNames: index names must be lowercase, must not contain
// \ / * ? " < > | space , #, must not start with - _ +, must not be . or
// .., and must not be longer than 255 bytes.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-create-index.html#indices-create-api-path-params
func TestIndexNames(t *testing.T) {
	s := startServer(t)
	for _, name := range []string{"Logs", "a*b", "a?b", "a,b", "a b", "a#b", `a\b`, "a|b", "a<b", "-a", "+a", "..", strings.Repeat("é", 128)} {
		r := bulk(t, s.URL(), `{"create":{"_index":"`+strings.ReplaceAll(name, `\`, `\\`)+`","_id":"1"}}`, `{}`)
		wantItems(t, r, "400 invalid_index_name_exception")
	}
	if r := do(t, http.MethodPut, s.URL()+"/_a", `{}`); r.status != 400 {
		t.Errorf("PUT /_a: %d, want 400", r.status)
	}
	if r := bulk(t, s.URL(), `{"create":{"_index":"mglogs-2024.01.01","_id":"1"}}`, `{}`); r.body["errors"] != false {
		t.Errorf("a valid name was refused: %s", r.text)
	}
}
