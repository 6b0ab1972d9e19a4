package esdev_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCreateThenConflict: in a bulk, create of an existing _id fails that
// item with 409 version_conflict_engine_exception while the rest proceeds;
// op_type create in an index action is a create. index of an existing
// _id, an overwrite, fails its item as not supported by the stand-in.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-bulk.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-index_.html#docs-index-api-op_type
func TestCreateThenConflict(t *testing.T) {
	s := startServer(t)
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"n":1}`)
	r := bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"n":2}`, `{"create":{"_index":"a","_id":"2"}}`, `{}`,
		`{"index":{"_index":"a","_id":"3"}}`, `{"n":3}`, `{"index":{"_index":"a","_id":"3","op_type":"create"}}`, `{}`,
		`{"index":{"_index":"a","_id":"3"}}`, `{"n":4}`)
	wantItems(t, r, "409 version_conflict_engine_exception", "201", "201", "409", "400 illegal_argument_exception")
	if !strings.Contains(r.text, "overwriting the document [3] is not supported by the stand-in") {
		t.Errorf("the overwrite is not refused as unsupported: %s", r.text)
	}
	if r.body["errors"] != true {
		t.Error("errors is false with a failed item")
	}
	if doc, _ := s.Doc("a", "1"); doc["n"] != 1.0 {
		t.Errorf("the conflicting create changed the document: %v", doc)
	}
}

// TestMappingConflictFailsOnlyThatItem: dynamic mapping adds fields from
// the first document; a later value that does not fit the mapped type (or
// a duplicate key, which Elasticsearch's parser refuses) fails that item
// with 400 mapper_parsing_exception, and nothing of it is stored.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/dynamic-field-mapping.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-bulk.html
func TestMappingConflictFailsOnlyThatItem(t *testing.T) {
	s := startServer(t)
	r := bulk(t, s.URL(),
		`{"create":{"_index":"a","_id":"1"}}`, `{"n":1,"t":"2024-01-01T00:00:00Z","o":{"k":"v"}}`,
		`{"create":{"_index":"a","_id":"2"}}`, `{"n":"abc"}`,
		`{"create":{"_index":"a","_id":"3"}}`, `{"t":"yesterday"}`,
		`{"create":{"_index":"a","_id":"4"}}`, `{"o":"flat"}`,
		`{"create":{"_index":"a","_id":"5"}}`, `{"x":1,"x":2}`,
		`{"create":{"_index":"a","_id":"6"}}`, `{"n":"7"}`)
	bad := "400 mapper_parsing_exception"
	wantItems(t, r, "201", bad, bad, bad, bad, "201")
}

// TestMalformedBulks: a malformed action line, an unknown action or
// parameter, a missing index or a body without its final newline fails
// the whole request with 400.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/docs-bulk.html
func TestMalformedBulks(t *testing.T) {
	s := startServer(t)
	for _, body := range []string{
		"{\"create\":{\"_index\":\"a\"}}\n{}",
		"{\"create\":{\"_index\":\"a\"}\n{}\n",
		"{\"explode\":{\"_index\":\"a\"}}\n{}\n",
		"{\"create\":{\"_index\":\"a\",\"color\":\"red\"}}\n{}\n",
		"{\"create\":{}}\n{}\n",
		"\n",
	} {
		if r := do(t, http.MethodPost, s.URL()+"/_bulk", body); r.status != 400 || r.body["error"] == nil {
			t.Errorf("%q: %d %s, want a 400 error", body, r.status, r.text)
		}
	}
	if s.Count("*") != 0 || s.Stats().MalformedBulks != 6 {
		t.Errorf("stored %d, malformed %d", s.Count("*"), s.Stats().MalformedBulks)
	}
}

// TestCloseAndRestartKeepData: Close and Restart take the listener down
// and back up on the same address; the data stays.
func TestCloseAndRestartKeepData(t *testing.T) {
	s := startServer(t)
	url := s.URL()
	bulk(t, url, `{"create":{"_index":"a","_id":"1"}}`, `{"message":"kept"}`)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(url); err == nil {
		t.Fatal("a closed server answered")
	}
	var got []string
	s.EachMessage("a", func(m string) { got = append(got, m) })
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if doc, ok := s.Doc("a", "1"); !ok || doc["message"] != "kept" {
		t.Errorf("Doc after restart: %v, %v", doc, ok)
	}
	if s.URL() != url || strings.Join(got, ",") != "kept" || s.Count("a") != 1 {
		t.Fatalf("after restart: url %s (was %s), messages %v", s.URL(), url, got)
	}
}
