package esdev_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestFilterPath: ?filter_path keeps only the fields its filters select,
// through arrays (a filter applies to each element) and with * and **
// wildcards; what keeps nothing is dropped, an answer that keeps nothing is
// {}, and error answers are not filtered. Exclusive filters are refused.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/common-options.html#common-options-response-filtering
func TestFilterPath(t *testing.T) {
	s := startServer(t)
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"n":1}`)
	// Each request: a create of the existing _id, and of a new one.
	body := func(id string) string {
		return `{"create":{"_index":"a","_id":"1"}}` + "\n{}\n" + `{"create":{"_index":"a","_id":"` + id + `"}}` + "\n{}\n"
	}
	for i, c := range []struct{ filter, want string }{
		// What logtransfer asks for: per-item status and error, in order.
		{"errors,items.*.status,items.*.error", `{"errors":true,"items":[{"create":{"error":{"index":"a",` +
			`"index_uuid":"","reason":"[1]: version conflict, document already exists (current version [1])",` +
			`"shard":"0","type":"version_conflict_engine_exception"},"status":409}},{"create":{"status":201}}]}`},
		{"items.create._id", `{"items":[{"create":{"_id":"1"}},{"create":{"_id":"new1"}}]}`},
		{"**.status", `{"items":[{"create":{"status":409}},{"create":{"status":201}}]}`},
		{"items.*.err*.type", `{"items":[{"create":{"error":{"type":"version_conflict_engine_exception"}}}]}`},
		{"nothing.here", `{}`},
	} {
		r := do(t, http.MethodPost, s.URL()+"/_bulk?filter_path="+c.filter, body("new"+strconv.Itoa(i)))
		got := strings.TrimSpace(r.text)
		if c.filter == "errors,items.*.status,items.*.error" {
			// The index uuid is random: compare the rest.
			got = uuidField.ReplaceAllString(got, `"index_uuid":""`)
		}
		if got != c.want {
			t.Errorf("filter_path=%s:\n got %s\nwant %s", c.filter, got, c.want)
		}
	}
	if r := do(t, http.MethodGet, s.URL()+"/missing/_doc/1?filter_path=_id", ""); r.status != http.StatusNotFound ||
		!strings.Contains(r.text, `"type":"index_not_found_exception"`) {
		t.Errorf("a 404 answer was filtered: %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodPost, s.URL()+"/_bulk?filter_path=-took", body("refused")); r.status != http.StatusBadRequest ||
		!strings.Contains(r.text, "not supported by the stand-in") {
		t.Errorf("an exclusive filter was not refused: %d %s", r.status, r.text)
	}
	if _, ok := s.Doc("a", "refused"); ok {
		t.Error("the refused request wrote")
	}
}

var uuidField = regexp.MustCompile(`"index_uuid":"[^"]*"`)
