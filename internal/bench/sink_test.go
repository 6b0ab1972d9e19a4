package bench

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/esdev"
)

func TestStamp(t *testing.T) {
	for _, tt := range []struct {
		name string
		doc  string
		want int64
		ok   bool
	}{
		{"access line", `{"message":"GET / 200 rt=0.1 lpbench_t=1700000000123456789"}`, 1700000000123456789, true},
		{"json line, escaped", `{"message":"{\"msg\":\"x\",\"lpbench_t\":42}"}`, 42, true},
		{"none", `{"message":"GET / 200 rt=0.1"}`, 0, false},
		{"no digits", `{"message":"lpbench_t=abc"}`, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := stamp([]byte(tt.doc))
			if got != tt.want || ok != tt.ok {
				t.Errorf("stamp = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestSinkBulk checks what logtransfer relies on: one created item per
// action, in order, and what the harness reads back: counts and latency.
func TestSinkBulk(t *testing.T) {
	s := NewSink()
	srv := httptest.NewServer(s)
	defer srv.Close()
	written := time.Now().Add(-300 * time.Millisecond).UnixNano()
	body := `{"create":{"_index":"a","_id":"1"}}
{"message":"x lpbench_t=` + strconv.FormatInt(written, 10) + `"}
{"create":{"_index":"a","_id":"2"}}
{"message":"no stamp"}
`
	resp, err := http.Post(srv.URL+"/_bulk", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Errors bool
		Items  []map[string]struct{ Status int }
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Errors || len(got.Items) != 2 || got.Items[0]["create"].Status != 201 || got.Items[1]["create"].Status != 201 {
		t.Fatalf("response = %+v, want two created items", got)
	}
	st := s.Stats()
	if st.Docs != 2 || st.Stamped != 1 || st.P99ms < 300 || st.P99ms > 5000 {
		t.Fatalf("stats = %+v, want 2 docs, 1 stamped at about 300 ms", st)
	}
	s.reset()
	if st := s.Stats(); st.Docs != 2 || st.Stamped != 0 {
		t.Fatalf("after reset: %+v, want docs kept and latencies cleared", st)
	}
}

// TestSinkAnswersAsTheStandIn: for created items the sink answers the
// fields esdev (which follows Elasticsearch 7) answers, with and without
// logtransfer's filter_path, so the transfer's answer parsing costs in the
// bench what it costs against a cluster; a filter it does not know is
// refused.
func TestSinkAnswersAsTheStandIn(t *testing.T) {
	es := esdev.New()
	if err := es.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	sink := httptest.NewServer(NewSink())
	defer sink.Close()
	body := func(i int) string { // two new documents
		return fmt.Sprintf("{\"create\":{\"_index\":\"a\",\"_id\":\"%d\"}}\n{}\n{\"create\":{\"_index\":\"a\",\"_id\":\"%d\"}}\n{}\n", 2*i, 2*i+1)
	}
	for i, query := range []string{"", "?filter_path=errors,items.*.status,items.*.error", "?filter_path=took,items.*.status"} {
		want, _ := shape(t, es.URL()+"/_bulk"+query, body(i))
		got, _ := shape(t, sink.URL+"/_bulk"+query, body(i))
		if got != want {
			t.Errorf("bulk%s: the sink answers fields %s, the stand-in %s", query, got, want)
		}
	}
	if _, status := shape(t, sink.URL+"/_bulk?filter_path=items.*._id", body(9)); status != http.StatusBadRequest {
		t.Errorf("an unknown filter answered %d, want 400", status)
	}
}

// shape posts a bulk body and returns the answer's field paths, sorted,
// with array elements merged (values left out), and the status.
func shape(t *testing.T, url, body string) (string, int) {
	t.Helper()
	resp, err := http.Post(url, "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	paths := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				paths[prefix+k] = true
				walk(prefix+k+".", x)
			}
		case []any:
			for _, x := range v {
				walk(prefix, x)
			}
		}
	}
	walk("", v)
	return strings.Join(slices.Sorted(maps.Keys(paths)), " "), resp.StatusCode
}
