package bench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
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
