package esdev_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"

	"github.com/olivere/elastic/v7"
)

func TestBulkCreateThenConflict(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	docs := map[string]any{
		"a": map[string]any{"message": "one", "@timestamp": "2024-01-01T10:00:00Z"},
		"b": map[string]any{"message": "two", "@timestamp": "2024-01-01T10:01:00Z"},
		"c": map[string]any{"message": "three", "@timestamp": "2024-01-01T10:02:00Z"},
	}

	first := bulkCreate(t, c, "mglogs-2024.01.01", docs)
	if first.Errors {
		t.Fatalf("first bulk: errors = true, want false: %+v", first.Failed())
	}
	for _, it := range first.Created() {
		if it.Status != http.StatusCreated || it.Result != "created" || it.Version != 1 || it.Shards == nil {
			t.Errorf("first bulk item %s = %+v, want 201 created version 1 with _shards", it.Id, it)
		}
	}

	second := bulkCreate(t, c, "mglogs-2024.01.01", docs)
	if !second.Errors {
		t.Fatal("repeated create: errors = false, want true")
	}
	for _, it := range second.Created() {
		if it.Status != http.StatusConflict || it.Error == nil {
			t.Fatalf("repeated create item %s = %+v, want 409 with error", it.Id, it)
		}
		want := "[" + it.Id + "]: version conflict, document already exists (current version [1])"
		if it.Error.Type != "version_conflict_engine_exception" || it.Error.Reason != want ||
			it.Error.Index != "mglogs-2024.01.01" {
			t.Errorf("repeated create item %s error = %+v, want version_conflict_engine_exception %q", it.Id, it.Error, want)
		}
	}
	if got := s.Count("mglogs-*"); got != 3 {
		t.Errorf("Count = %d, want 3 (each document once)", got)
	}
	if st := s.Stats(); st.Created != 3 || st.Conflicts != 3 || st.BulkRequests != 2 {
		t.Errorf("Stats = %+v, want Created 3, Conflicts 3, BulkRequests 2", st)
	}
}

func TestBulkIndexOverwritesAndOpType(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	index := func(r *elastic.BulkIndexRequest) *elastic.BulkResponseItem {
		t.Helper()
		res, err := c.Bulk().Add(r).Do(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return onlyItem(t, res)
	}
	tests := []struct {
		name        string
		req         *elastic.BulkIndexRequest
		wantStatus  int
		wantResult  string
		wantVersion int64
	}{
		{"new id creates", elastic.NewBulkIndexRequest().Index("logs").Id("1").Doc(map[string]any{"n": 1}), 201, "created", 1},
		{"same id overwrites", elastic.NewBulkIndexRequest().Index("logs").Id("1").Doc(map[string]any{"n": 2}), 200, "updated", 2},
		{"op_type create conflicts", elastic.NewBulkIndexRequest().OpType("create").Index("logs").Id("1").Doc(map[string]any{"n": 3}), 409, "", 0},
		{"missing id is generated", elastic.NewBulkIndexRequest().Index("logs").Doc(map[string]any{"n": 4}), 201, "created", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := index(tt.req)
			if it.Status != tt.wantStatus || it.Result != tt.wantResult || it.Version != tt.wantVersion {
				t.Errorf("item = status %d result %q version %d, want %d %q %d",
					it.Status, it.Result, it.Version, tt.wantStatus, tt.wantResult, tt.wantVersion)
			}
			if it.Id == "" {
				t.Error("item has no _id")
			}
		})
	}
	if doc, _ := s.Doc("logs", "1"); doc["n"] != 2.0 {
		t.Errorf("Doc(logs, 1) = %v, want the overwrite n=2", doc)
	}
}

func TestBulkMappingConflictFailsOnlyThatItem(t *testing.T) {
	tests := []struct {
		name       string
		first, bad map[string]any
		wantReason string
	}{
		{"object into text", map[string]any{"status": "ok"}, map[string]any{"status": map[string]any{"code": 1}},
			"failed to parse field [status] of type [text] in document with id 'bad'"},
		{"string into long", map[string]any{"code": 200}, map[string]any{"code": "abc"},
			"failed to parse field [code] of type [long] in document with id 'bad'"},
		{"bad date", map[string]any{"@timestamp": "2024-01-01T00:00:00Z"}, map[string]any{"@timestamp": "yesterday"},
			"failed to parse field [@timestamp] of type [date] in document with id 'bad'"},
		{"value into object", map[string]any{"host": map[string]any{"name": "a"}}, map[string]any{"host": "a"},
			"object mapping for [host] tried to parse field [host] as object"},
		{"nested value into long", map[string]any{"http": map[string]any{"status": 200}},
			map[string]any{"http": map[string]any{"status": "teapot"}},
			"failed to parse field [http.status] of type [long]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t)
			c := newClient(t, s.URL())
			bulkCreate(t, c, "logs", map[string]any{"first": tt.first})

			bad := map[string]any{"introduced_by_bad_item": "x"}
			for k, v := range tt.bad {
				bad[k] = v
			}
			res := bulkCreate(t, c, "logs", map[string]any{"a-ok": tt.first, "bad": bad, "z-ok": tt.first})
			if !res.Errors {
				t.Fatal("errors = false, want true")
			}
			got := map[string]*elastic.BulkResponseItem{}
			for _, it := range res.Created() {
				got[it.Id] = it
			}
			if got["a-ok"].Status != 201 || got["z-ok"].Status != 201 {
				t.Errorf("good items = %d and %d, want 201 both", got["a-ok"].Status, got["z-ok"].Status)
			}
			it := got["bad"]
			if it.Status != 400 || it.Error == nil || it.Error.Type != "mapper_parsing_exception" ||
				!strings.Contains(it.Error.Reason, tt.wantReason) {
				t.Fatalf("bad item = %d %+v, want 400 mapper_parsing_exception containing %q", it.Status, it.Error, tt.wantReason)
			}
			if _, ok := s.Doc("logs", "bad"); ok {
				t.Error("rejected document was stored")
			}
			m, err := c.GetMapping().Index("logs").Do(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(toJSON(t, m), "introduced_by_bad_item") {
				t.Error("rejected document added a field to the mapping")
			}
		})
	}
}

func TestBulkInvalidIndexNames(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	names := []string{"good", "Upper", "_under", "a*b", "with space", "has#hash"}
	b := c.Bulk()
	for _, n := range names {
		b.Add(elastic.NewBulkIndexRequest().Index(n).Id("1").Doc(map[string]any{"x": 1}))
	}
	res, err := b.Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i, item := range res.Indexed() {
		want := 400
		if names[i] == "good" {
			want = 201
		}
		if item.Status != want {
			t.Errorf("index %q: status %d, want %d", names[i], item.Status, want)
		}
		if want == 400 && (item.Error == nil || item.Error.Type != "invalid_index_name_exception") {
			t.Errorf("index %q: error %+v, want invalid_index_name_exception", names[i], item.Error)
		}
	}
	if got := s.Indices(); len(got) != 1 || got[0] != "good" {
		t.Errorf("Indices = %v, want [good]", got)
	}
}

func TestBulkMalformedBodies(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantType   string // request error type, or the first item's error type for 200
	}{
		{"no final newline", `{"index":{"_index":"x"}}` + "\n" + `{"a":1}`, 400, "illegal_argument_exception"},
		{"action line not json", "{nope\n{}\n", 400, "x_content_parse_exception"},
		{"action line a string", "\"index\"\n{}\n", 400, "illegal_argument_exception"},
		{"unknown action", `{"upsert":{"_index":"x"}}` + "\n{}\n", 400, "illegal_argument_exception"},
		{"unknown parameter", `{"index":{"_index":"x","_foo":1}}` + "\n{}\n", 400, "illegal_argument_exception"},
		{"no index anywhere", `{"index":{"_id":"1"}}` + "\n{}\n", 400, "action_request_validation_exception"},
		{"empty body", "", 400, "action_request_validation_exception"},
		{"bad document fails its item", `{"index":{"_index":"x"}}` + "\n{\"a\":\n", 200, "mapper_parsing_exception"},
		{"duplicate key fails its item", `{"index":{"_index":"x"}}` + "\n" + `{"a":1,"a":2}` + "\n", 200, "mapper_parsing_exception"},
	}
	s := startServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, http.MethodPost, s.URL()+"/_bulk", "application/x-ndjson", []byte(tt.body))
			if res.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", res.status, tt.wantStatus, res.text)
			}
			got := res.errorType()
			if tt.wantStatus == 200 {
				items, _ := res.body["items"].([]any)
				item, _ := items[0].(map[string]any)["index"].(map[string]any)
				e, _ := item["error"].(map[string]any)
				got, _ = e["type"].(string)
			}
			if got != tt.wantType {
				t.Errorf("error type %q, want %q: %s", got, tt.wantType, res.text)
			}
		})
	}
	if n := s.Count("*"); n != 0 {
		t.Errorf("Count = %d after malformed requests, want 0", n)
	}
}

func TestBulkGzip(t *testing.T) {
	s := startServer(t)
	t.Run("olivere SetGzip", func(t *testing.T) {
		c := newClient(t, s.URL(), elastic.SetGzip(true))
		res := bulkCreate(t, c, "gz", map[string]any{"1": map[string]any{"m": "zipped"}})
		if res.Errors {
			t.Fatalf("errors: %+v", res.Failed())
		}
	})
	t.Run("raw gzip body", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(`{"create":{"_index":"gz","_id":"2"}}` + "\n" + `{"m":"raw"}` + "\n"))
		_ = zw.Close()
		res := do(t, http.MethodPost, s.URL()+"/_bulk", "application/x-ndjson", buf.Bytes(), "Content-Encoding", "gzip")
		if res.status != 200 || res.body["errors"] != false {
			t.Fatalf("gzip bulk: %d %s", res.status, res.text)
		}
	})
	if got := s.Count("gz"); got != 2 {
		t.Errorf("Count(gz) = %d, want 2", got)
	}
}

func TestBulkUpdateAndDelete(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"a": 1, "nested": map[string]any{"x": 1}}})
	res, err := c.Bulk().
		Add(elastic.NewBulkUpdateRequest().Index("logs").Id("1").Doc(map[string]any{"nested": map[string]any{"y": 2}})).
		Add(elastic.NewBulkUpdateRequest().Index("logs").Id("1").Doc(map[string]any{"nested": map[string]any{"y": 2}})).
		Add(elastic.NewBulkUpdateRequest().Index("logs").Id("2").Doc(map[string]any{"b": 1}).DocAsUpsert(true)).
		Add(elastic.NewBulkUpdateRequest().Index("logs").Id("3").Doc(map[string]any{"b": 1})).
		Add(elastic.NewBulkDeleteRequest().Index("logs").Id("2")).
		Add(elastic.NewBulkDeleteRequest().Index("logs").Id("404")).
		Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		action, result string
		status         int
	}{
		{"update", "updated", 200}, {"update", "noop", 200}, {"update", "created", 201},
		{"update", "", 404}, {"delete", "deleted", 200}, {"delete", "not_found", 404},
	}
	for i, w := range want {
		it := res.Items[i][w.action]
		if it == nil || it.Status != w.status || it.Result != w.result {
			t.Errorf("item %d = %+v, want %s %d %q", i, it, w.action, w.status, w.result)
		}
	}
	if it := res.Items[3]["update"]; it.Error == nil || it.Error.Type != "document_missing_exception" {
		t.Errorf("update of a missing doc: error %+v, want document_missing_exception", it.Error)
	}
	doc, _ := s.Doc("logs", "1")
	if got := toJSON(t, doc); got != `{"a":1,"nested":{"x":1,"y":2}}` {
		t.Errorf("merged doc = %s", got)
	}
}

func TestEachMessageReadsTheStoreEvenWhenClosed(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	bulkCreate(t, c, "m-1", map[string]any{
		"a": map[string]any{"message": "one"},
		"b": map[string]any{"message": "two"},
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	s.EachMessage("m-1", func(m string) { got[m] = true })
	if len(got) != 2 || !got["one"] || !got["two"] {
		t.Fatalf("EachMessage saw %v, want one and two", got)
	}
	s.EachMessage("absent", func(string) { t.Fatal("called for a missing index") })
}
