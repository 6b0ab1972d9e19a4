package esdev_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/olivere/elastic/v7"

	"github.com/logpipe/logpipe/internal/esdev"
)

func TestCloseAndRestartKeepData(t *testing.T) {
	s := startServer(t)
	url := s.URL()
	c := newClient(t, url)
	bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"m": "before"}, "2": map[string]any{"m": "before"}})

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Count("logs").Do(t.Context()); err == nil {
		t.Fatal("request to a closed server succeeded")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Fatalf("URL after Restart = %s, want %s", s.URL(), url)
	}
	// olivere marked the node dead on the failed request; without sniffing
	// it resurrects it on the next call, which itself reports "no
	// available connection". So the second call at the latest succeeds.
	var n int64
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if n, err = c.Count("logs").Do(t.Context()); err == nil {
			break
		}
	}
	if err != nil || n != 2 {
		t.Fatalf("Count after Restart = %d, %v; want 2", n, err)
	}
	if res := bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"m": "again"}}); !res.Errors {
		t.Error("create of an existing id after Restart succeeded; the data was lost")
	}
}

func TestDefaultClientSniffsAndPings(t *testing.T) {
	s := startServer(t)
	c, err := elastic.NewClient(elastic.SetURL(s.URL())) // default sniffing and healthchecks
	if err != nil {
		t.Fatalf("NewClient with defaults: %v", err)
	}
	defer c.Stop()
	res := bulkCreate(t, c, "logs", map[string]any{"1": map[string]any{"m": "sniffed"}})
	if res.Errors {
		t.Fatalf("bulk through a sniffing client: %+v", res.Failed())
	}
	ping, code, err := c.Ping(s.URL()).Do(t.Context())
	if err != nil || code != 200 {
		t.Fatalf("Ping: %d %v", code, err)
	}
	if !strings.HasSuffix(ping.Version.Number, "-standin") || !strings.Contains(ping.TagLine, "stand-in") {
		t.Errorf("Ping = version %q tagline %q, want the stand-in identity", ping.Version.Number, ping.TagLine)
	}
	health, err := c.ClusterHealth().Do(t.Context())
	if err != nil || health.Status != "green" {
		t.Errorf("ClusterHealth = %+v, %v; want green", health, err)
	}
}

func TestUnknownEndpointsAreErrors(t *testing.T) {
	s := startServer(t)
	tests := []struct {
		method, path string
		wantStatus   int
	}{
		{http.MethodGet, "/_nope", 400},
		{http.MethodGet, "/logs/_nope", 400},
		{http.MethodPost, "/_snapshot/repo", 400},
		{http.MethodGet, "/_bulk", 405},
		{http.MethodPost, "/_cluster/health", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			res := do(t, tt.method, s.URL()+tt.path, "", nil)
			if res.status != tt.wantStatus || res.errorType() == "" {
				t.Errorf("status %d, body %s; want %d with an error object", res.status, res.text, tt.wantStatus)
			}
		})
	}
}

func TestHandlerEmbeds(t *testing.T) {
	s := esdev.New()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c := newClient(t, ts.URL)
	bulkCreate(t, c, "embedded", map[string]any{"1": map[string]any{"m": 1}})
	if s.Count("embedded") != 1 {
		t.Errorf("Count = %d, want 1", s.Count("embedded"))
	}
}

func TestCatIndices(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	bulkCreate(t, c, "mglogs-b", map[string]any{"1": map[string]any{"m": 1}, "2": map[string]any{"m": 2}})
	bulkCreate(t, c, "mglogs-a", map[string]any{"1": map[string]any{"m": 1}})
	rows, err := c.CatIndices().Index("mglogs-*").Do(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Index != "mglogs-a" || rows[0].DocsCount != 1 || rows[1].DocsCount != 2 || rows[0].Health != "green" {
		t.Errorf("CatIndices = %+v", rows)
	}
	text := do(t, http.MethodGet, s.URL()+"/_cat/indices?v&h=index,docs.count", "", nil).text
	if want := "index    docs.count\nmglogs-a 1\nmglogs-b 2\n"; text != want {
		t.Errorf("_cat/indices text = %q, want %q", text, want)
	}
}
