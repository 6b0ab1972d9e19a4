package esdev_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/olivere/elastic/v7"

	"github.com/logpipe/logpipe/internal/esdev"
)

// ref is the Elasticsearch 7.17 reference, which each test cites for the
// rule it checks.
const ref = "https://www.elastic.co/guide/en/elasticsearch/reference/7.17/"

// startServer runs a stand-in on a random 127.0.0.1 port for one test.
func startServer(t *testing.T, opts ...esdev.Option) *esdev.Server {
	t.Helper()
	s := esdev.New(opts...)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newClient returns the olivere client as logpipe configures it: no
// sniffing, no background healthcheck.
func newClient(t *testing.T, url string) *elastic.Client {
	t.Helper()
	c, err := elastic.NewClient(elastic.SetURL(url), elastic.SetSniff(false), elastic.SetHealthcheck(false))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// rawResponse is a decoded plain-HTTP answer.
type rawResponse struct {
	status int
	body   map[string]any
	text   string
}

// do sends a raw request; a body starting with '{' or '[' is sent as JSON,
// anything else as NDJSON.
func do(t *testing.T, method, url, body string, header ...string) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if strings.HasPrefix(body, "{") && !strings.Contains(body, "}\n") {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{status: res.StatusCode, text: string(b)}
	_ = json.NewDecoder(bytes.NewReader(b)).Decode(&out.body)
	return out
}

// errorType digs error.type out of an error response body.
func (r rawResponse) errorType() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

// item returns the status and error type of bulk item i.
func (r rawResponse) item(i int) (int, string) {
	items, _ := r.body["items"].([]any)
	if i >= len(items) {
		return 0, "no such item"
	}
	for _, v := range items[i].(map[string]any) {
		res := v.(map[string]any)
		e, _ := res["error"].(map[string]any)
		typ, _ := e["type"].(string)
		return int(res["status"].(float64)), typ
	}
	return 0, ""
}

// wantItems checks the status of each bulk item, and its error type where
// want names one ("400 mapper_parsing_exception").
func wantItems(t *testing.T, r rawResponse, want ...string) {
	t.Helper()
	items, _ := r.body["items"].([]any)
	if len(items) != len(want) {
		t.Errorf("%d items, want %d: %s", len(items), len(want), r.text)
	}
	for i, w := range want {
		st, typ := r.item(i)
		got := fmt.Sprint(st)
		if strings.Contains(w, " ") {
			got += " " + typ
		}
		if got != w {
			t.Errorf("item %d: %s (%s), want %s: %s", i, got, typ, w, r.text)
		}
	}
}

// count answers GET /{index}/_count: what searches see.
func count(t *testing.T, url, index string) int {
	t.Helper()
	r := do(t, http.MethodGet, url+"/"+index+"/_count", "")
	if r.status != http.StatusOK {
		t.Fatalf("_count: %d %s", r.status, r.text)
	}
	return int(r.body["count"].(float64))
}

// createIndex creates index with settings given as JSON.
func createIndex(t *testing.T, url, index, settings string) {
	t.Helper()
	if r := do(t, http.MethodPut, url+"/"+index, `{"settings":`+settings+`}`); r.status != http.StatusOK {
		t.Fatalf("creating %s: %d %s", index, r.status, r.text)
	}
}

// bulk sends NDJSON lines (each without its newline) to /_bulk.
func bulk(t *testing.T, url string, lines ...string) rawResponse {
	t.Helper()
	return do(t, http.MethodPost, url+"/_bulk", strings.Join(lines, "\n")+"\n")
}
