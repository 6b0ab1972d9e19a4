package ctl

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/esdev"
)

// newES starts the Elasticsearch-API stand-in and points logctl at it.
func (s *stack) newES() *esdev.Server {
	s.t.Helper()
	es := esdev.New()
	if err := es.Start("127.0.0.1:0"); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { es.Close() })
	s.env[EnvES] = es.URL()
	return es
}

// index puts doc at index/_doc/id and refreshes the index (?refresh), so
// that searches see it at once: a fixture already searchable, as documents
// indexed a while ago are. Without the refresh, a search right after the
// write would not see it, as on a real cluster.
func index(t *testing.T, es *esdev.Server, idx, id string, doc map[string]any) {
	t.Helper()
	indexDoc(t, es, idx, id, doc, "?refresh=true")
}

// indexDoc puts doc at index/_doc/id with the given query string.
func indexDoc(t *testing.T, es *esdev.Server, idx, id string, doc map[string]any, query string) {
	t.Helper()
	b, _ := json.Marshal(doc)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, es.URL()+"/"+idx+"/_doc/"+id+query, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("indexing %s/%s: %s", idx, id, resp.Status)
	}
}

func TestSearch(t *testing.T) {
	s := newStack(t)
	es := s.newES()
	now := time.Now().UTC()
	doc := func(ago time.Duration, host, msg string) map[string]any {
		return map[string]any{
			"@timestamp": now.Add(-ago).Format(time.RFC3339Nano), "message": msg,
			"host": map[string]any{"name": host}, "log": map[string]any{"file": map[string]any{"path": "/data/mg_" + host + ".log"}},
		}
	}
	index(t, es, "mglogs-2020.06.23", "a", doc(time.Minute, "web-1", "upstream timed out (110: Connection timed out)"))
	index(t, es, "mglogs-2020.06.23", "b", doc(5*time.Minute, "web-1", "GET /mg 200"))
	index(t, es, "mglogs-2020.06.23", "c", doc(2*time.Hour, "web-2", "upstream timed out long ago"))
	index(t, es, "mglogs-2020.06.24", "d", doc(30*time.Second, "web-2", "timed out again\n\tat Foo.bar"))
	index(t, es, "nginx-2020.06.24", "e", doc(10*time.Second, "web-3", "timed out in another index"))

	out := s.ok("search", "message:timed", "--index", "mglogs-*")
	want := [][]string{
		{"TIME", "HOST", "FILE", "MESSAGE"},
		{now.Add(-30 * time.Second).Format(time.RFC3339Nano), "web-2", "/data/mg_web-2.log", `timed out again\n at Foo.bar`},
		{now.Add(-time.Minute).Format(time.RFC3339Nano), "web-1", "/data/mg_web-1.log", "upstream timed out (110: Connection timed out)"},
	}
	for _, w := range want {
		if !hasRow(out, bytesFields(w)) {
			t.Errorf("search output lacks the row %q:\n%s", w, out)
		}
	}
	if n := len(bytes.Split(bytes.TrimSpace([]byte(out)), []byte("\n"))); n != 3 {
		t.Errorf("search printed %d lines, want a header and 2 hits (newest first, none older than 15m):\n%s", n, out)
	}

	var hits []hit
	decodeJSON(t, s.ok("search", "timed", "--index", "mglogs-*,nginx-*", "--since", "2h1m", "--size", "3", "-o", "json"), &hits)
	ids := ""
	for _, h := range hits {
		ids += h.ID
	}
	if ids != "eda" {
		t.Errorf("search -o json ids %q, want the 3 newest matches newest first, \"eda\": %+v", ids, hits)
	}
	if r := s.run("search", "x", "--since", "yesterday"); r.code != ExitUsage {
		t.Errorf("a bad --since: exit %d", r.code)
	}
}

// bytesFields splits each cell the way strings.Fields splits a table line.
func bytesFields(cells []string) []string {
	var out []string
	for _, c := range cells {
		for _, f := range bytes.Fields([]byte(c)) {
			out = append(out, string(f))
		}
	}
	return out
}
