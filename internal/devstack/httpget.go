package devstack

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// HTTPGet is url's status code and body, for tests that poll a daemon's
// ops endpoints; 0 and the error's text when the GET fails, so a poll can
// go on while the daemon starts.
func HTTPGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// HTTPSend sends a request with an optional JSON body (Elasticsearch's
// settings and index APIs, say) and returns the status code and body; a
// transport error fails the test.
func HTTPSend(tb testing.TB, method, url, body string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
