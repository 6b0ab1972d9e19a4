package esdev_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/olivere/elastic/v7"
)

func TestComposableTemplateAppliesToAutoCreatedIndex(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	put := func(name, body string) {
		t.Helper()
		if _, err := c.IndexPutIndexTemplate(name).BodyString(body).Do(t.Context()); err != nil {
			t.Fatalf("put template %s: %v", name, err)
		}
	}
	put("low", `{"index_patterns":["mglogs-*"],"priority":1,
		"template":{"mappings":{"properties":{"host":{"type":"text"}}}}}`)
	put("mglogs", `{"index_patterns":["mglogs-*"],"priority":100,"_meta":{"owner":"logpipe"},
		"template":{"settings":{"number_of_replicas":0},
		"mappings":{"dynamic":"strict","properties":{
			"@timestamp":{"type":"date"},"host":{"type":"keyword"},"bytes":{"type":"long"},"message":{"type":"text"}}}}}`)
	put("other", `{"index_patterns":["other-*"],"priority":500,"template":{"mappings":{"properties":{"host":{"type":"long"}}}}}`)

	res := bulkCreate(t, c, "mglogs-2024.01.01", map[string]any{
		"ok":     map[string]any{"@timestamp": "2024-01-01T00:00:00Z", "host": "web1", "bytes": 10, "message": "hi"},
		"bytes":  map[string]any{"host": "web1", "bytes": "12kb"},
		"strict": map[string]any{"host": "web1", "unexpected": true},
	})
	want := map[string]string{"ok": "", "bytes": "mapper_parsing_exception", "strict": "strict_dynamic_mapping_exception"}
	for _, it := range res.Created() {
		got := ""
		if it.Error != nil {
			got = it.Error.Type
		}
		if got != want[it.Id] {
			t.Errorf("item %s: error %q, want %q", it.Id, got, want[it.Id])
		}
	}

	m, err := c.GetMapping().Index("mglogs-2024.01.01").Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if js := toJSON(t, m); !strings.Contains(js, `"host":{"type":"keyword"}`) || !strings.Contains(js, `"dynamic":"strict"`) {
		t.Errorf("mapping = %s, want the priority-100 template's", js)
	}
	rows, err := c.CatIndices().Index("mglogs-2024.01.01").Do(t.Context())
	if err != nil || len(rows) != 1 || rows[0].Rep != 0 {
		t.Errorf("cat indices = %+v, %v; want replicas 0 from the template", rows, err)
	}

	got, err := c.IndexGetIndexTemplate("mglogs").Do(t.Context())
	if err != nil || len(got.IndexTemplates) != 1 || got.IndexTemplates[0].IndexTemplate.Priority != 100 ||
		got.IndexTemplates[0].IndexTemplate.Meta["owner"] != "logpipe" {
		t.Errorf("get template = %+v, %v", got, err)
	}
	if _, err := c.IndexDeleteIndexTemplate("mglogs").Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.IndexGetIndexTemplate("mglogs").Do(t.Context()); !elastic.IsNotFound(err) {
		t.Errorf("get deleted template: err = %v, want 404", err)
	}
}

func TestLegacyTemplateAndExplicitIndex(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	// Legacy templates through raw HTTP: olivere marks its API deprecated.
	if r := do(t, http.MethodPut, s.URL()+"/_template/legacy", "application/json",
		[]byte(`{"index_patterns":["app-*"],"order":0,"mappings":{"properties":{"code":{"type":"keyword"}}}}`)); r.status != 200 {
		t.Fatalf("put legacy template: %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodGet, s.URL()+"/_template/legacy", "", nil); r.status != 200 || r.body["legacy"] == nil {
		t.Fatalf("get legacy template: %d %s", r.status, r.text)
	}
	created, err := c.CreateIndex("app-1").BodyString(`{"mappings":{"properties":{"n":{"type":"integer"}}}}`).Do(t.Context())
	if err != nil || !created.Acknowledged {
		t.Fatalf("create index: %+v %v", created, err)
	}
	if _, err := c.CreateIndex("app-1").Do(t.Context()); err == nil || !strings.Contains(err.Error(), "resource_already_exists_exception") {
		t.Errorf("second create: err = %v, want resource_already_exists_exception", err)
	}
	m, _ := c.GetMapping().Index("app-1").Do(t.Context())
	if js := toJSON(t, m); !strings.Contains(js, `"code":{"type":"keyword"}`) || !strings.Contains(js, `"n":{"type":"integer"}`) {
		t.Errorf("mapping = %s, want the legacy template's plus the request's", js)
	}
	res, err := c.Bulk().Add(elastic.NewBulkIndexRequest().Index("app-1").Doc(map[string]any{"n": 3000000000})).Do(t.Context())
	if err != nil || !res.Errors {
		t.Errorf("integer out of range: %+v %v, want an item error", res, err)
	}

	bulkCreate(t, c, "app-2", map[string]any{"1": map[string]any{"code": 1}})
	for _, tt := range []struct {
		expr string
		want bool
	}{{"app-1", true}, {"app-1,app-2", true}, {"app-*", true}, {"nope", false}, {"nope-*", false}} {
		if ok, err := c.IndexExists(tt.expr).Do(t.Context()); err != nil || ok != tt.want {
			t.Errorf("IndexExists(%s) = %v, %v; want %v", tt.expr, ok, err, tt.want)
		}
	}
	if _, err := c.DeleteIndex("app-*").Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := s.Indices(); len(got) != 0 {
		t.Errorf("Indices after wildcard delete = %v", got)
	}
	if _, err := c.DeleteIndex("app-1").Do(t.Context()); !elastic.IsNotFound(err) {
		t.Errorf("delete of a missing index: err = %v, want 404", err)
	}
}

func TestILMPolicies(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	body := `{"policy":{"phases":{"delete":{"min_age":"7d","actions":{"delete":{}}}}}}`
	if _, err := c.XPackIlmPutLifecycle().Policy("mglogs").BodyString(body).Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := c.XPackIlmGetLifecycle().Policy("mglogs").Do(t.Context())
	if err != nil || got["mglogs"] == nil || got["mglogs"].Version != 1 ||
		!strings.Contains(toJSON(t, got["mglogs"].Policy), `"min_age":"7d"`) {
		t.Fatalf("get policy = %+v, %v", got, err)
	}
	if _, err := c.XPackIlmDeleteLifecycle().Policy("mglogs").Do(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := do(t, http.MethodGet, s.URL()+"/_ilm/policy/mglogs", "", nil); r.status != 404 {
		t.Errorf("get deleted policy: %d %s", r.status, r.text)
	}
}
