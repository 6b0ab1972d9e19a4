package esdev_test

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/olivere/elastic/v7"

	"github.com/logpipe/logpipe/internal/esdev"
)

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

// newClient returns the olivere client logpipe uses, configured as the
// logpipe tests configure it: no sniffing, no background healthcheck.
func newClient(t *testing.T, url string, extra ...elastic.ClientOptionFunc) *elastic.Client {
	t.Helper()
	opts := append([]elastic.ClientOptionFunc{
		elastic.SetURL(url), elastic.SetSniff(false), elastic.SetHealthcheck(false),
	}, extra...)
	c, err := elastic.NewClient(opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// bulkCreate sends one bulk of create requests and fails the test on a
// request-level error.
func bulkCreate(t *testing.T, c *elastic.Client, index string, docs map[string]any) *elastic.BulkResponse {
	t.Helper()
	b := c.Bulk()
	for _, id := range sortedKeys(docs) {
		b.Add(elastic.NewBulkCreateRequest().Index(index).Id(id).Doc(docs[id]))
	}
	res, err := b.Do(t.Context())
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	return res
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// rawResponse is a decoded plain-HTTP answer.
type rawResponse struct {
	status int
	body   map[string]any
	text   string
}

// do sends a raw request, for what olivere cannot express (malformed
// bodies, unknown endpoints).
func do(t *testing.T, method, url, contentType string, body []byte, header ...string) rawResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	_ = json.Unmarshal(b, &out.body)
	return out
}

// errorType digs error.type out of an error response body.
func (r rawResponse) errorType() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["type"].(string)
	return s
}

// onlyItem returns the result of a one-item bulk, whatever its action.
func onlyItem(t *testing.T, res *elastic.BulkResponse) *elastic.BulkResponseItem {
	t.Helper()
	if len(res.Items) != 1 || len(res.Items[0]) != 1 {
		t.Fatalf("bulk response has %d items, want 1", len(res.Items))
	}
	for _, it := range res.Items[0] {
		return it
	}
	return nil
}

// toJSON renders v compactly, for comparisons and substring checks.
func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
