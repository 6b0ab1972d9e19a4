package devstack

import (
	"io"
	"net/http"
)

// HTTPGet is url's status code and body, for tests that poll a daemon's
// ops endpoints; 0 and the error's text when the GET fails.
func HTTPGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
