package esdev_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestTemplateShapesAutoCreatedIndex: a write to a missing index creates
// it from the highest-priority matching composable template, with its
// settings (refresh_interval, replicas) and mappings, dynamic_templates
// included; templates of one priority may not overlap.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-templates.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-put-template.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/dynamic-templates.html
func TestTemplateShapesAutoCreatedIndex(t *testing.T) {
	s := startServer(t)
	for name, body := range map[string]string{
		"broad": `{"index_patterns":["logs-*"],"priority":1,"template":{"settings":{"number_of_replicas":3}}}`,
		"ours": `{"index_patterns":["logs-*"],"priority":2,"_meta":{"managed_by":"logpipe"},"template":{` +
			`"settings":{"index":{"number_of_replicas":0,"refresh_interval":"-1"}},"mappings":{` +
			`"dynamic_templates":[{"s":{"match_mapping_type":"string","mapping":{"type":"keyword"}}}],` +
			`"properties":{"n":{"type":"long"}}}}}`,
	} {
		if r := do(t, http.MethodPut, s.URL()+"/_index_template/"+name, body); r.status != 200 {
			t.Fatalf("PUT template %s: %s", name, r.text)
		}
	}
	r := bulk(t, s.URL(), `{"create":{"_index":"logs-1","_id":"1"}}`, `{"n":"x"}`, `{"create":{"_index":"logs-1","_id":"2"}}`, `{"n":1,"host":"Web-1"}`)
	wantItems(t, r, "400", "201") // "x" into the template's long
	do(t, http.MethodPost, s.URL()+"/logs-1/_refresh", "")
	if r := do(t, http.MethodGet, s.URL()+"/logs-1/_search?q=host:web-1", ""); !strings.Contains(r.text, `"value":0`) {
		t.Errorf("the dynamic template made host a keyword, so web-1 must not match Web-1: %s", r.text)
	}
	if r := do(t, http.MethodGet, s.URL()+"/_index_template/ours", ""); !strings.Contains(r.text, `"managed_by":"logpipe"`) {
		t.Errorf("GET template lost _meta: %s", r.text)
	}
	if r := do(t, http.MethodGet, s.URL()+"/_index_template/none", ""); r.status != 404 {
		t.Errorf("GET of a missing template: %d, want 404", r.status)
	}
	// "Multiple templates with overlapping index patterns at the same
	// priority are not allowed" (https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-put-template.html).
	for i, pattern := range []string{"logs-a*", "*-1", "other-*"} {
		want := map[bool]int{true: 200, false: 400}[i == 2]
		r := do(t, http.MethodPut, s.URL()+"/_index_template/t"+strconv.Itoa(i), `{"index_patterns":["`+pattern+`"],"priority":2}`)
		if r.status != want {
			t.Errorf("a template for %s at the priority of one for logs-*: %d %s, want %d", pattern, r.status, r.text, want)
		}
	}
	if r := do(t, http.MethodPut, s.URL()+"/_ilm/policy/p", `{"policy":{"phases":{}}}`); r.status != 200 {
		t.Errorf("PUT ILM policy: %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodPut, s.URL()+"/bad", `{"settings":{"refresh_interval":"soon"}}`); r.status != 400 {
		t.Errorf("refresh_interval soon: %d, want 400", r.status)
	}
	// PUT /{index} lays its settings and mappings over the template's.
	if r := do(t, http.MethodPut, s.URL()+"/logs-2", `{"settings":{"number_of_replicas":0},"mappings":{"properties":{"host":{"type":"long"}}}}`); r.status != 200 {
		t.Fatalf("PUT /logs-2: %d %s", r.status, r.text)
	}
	wantItems(t, bulk(t, s.URL(), `{"create":{"_index":"logs-2","_id":"1"}}`, `{"host":"x","n":"y"}`), "400 mapper_parsing_exception")
	// DELETE /{index} takes names and wildcards (https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-delete-index.html).
	if r := do(t, http.MethodDelete, s.URL()+"/logs-*", ""); r.status != 200 || len(s.Indices()) != 0 {
		t.Errorf("DELETE /logs-*: %d %s, left %v", r.status, r.text, s.Indices())
	}
}

// TestCatIndicesHealth: a one-node cluster cannot assign replicas, so an
// index with number_of_replicas > 0 is yellow and one without is green;
// docs.count counts what searches see.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/cat-indices.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/cluster-health.html
func TestCatIndicesHealth(t *testing.T) {
	s := startServer(t)
	createIndex(t, s.URL(), "solo", `{"number_of_replicas":0}`)
	bulk(t, s.URL(), `{"create":{"_index":"replicated","_id":"1"}}`, `{}`)
	if r := do(t, http.MethodGet, s.URL()+"/_cat/indices", ""); !strings.HasPrefix(r.text, "yellow open replicated ") ||
		!strings.Contains(r.text, "\ngreen  open solo ") {
		t.Errorf("health:\n%s", r.text)
	}
	do(t, http.MethodPost, s.URL()+"/_refresh", "")
	r := do(t, http.MethodGet, s.URL()+"/_cat/indices/repl*?v", "")
	lines := strings.Split(strings.TrimSpace(r.text), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "health") || strings.Fields(lines[1])[0] != "yellow" || strings.Fields(lines[1])[6] != "1" {
		t.Errorf("_cat/indices/repl*?v:\n%s", r.text)
	}
}
