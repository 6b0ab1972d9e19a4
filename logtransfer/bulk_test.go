package logtransfer

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/logpipe/logpipe/conf"
	"github.com/olivere/elastic/v7"
	"github.com/prometheus/client_golang/prometheus"
)

// TestSendReadsEachItemByPosition: send posts the documents' action and
// source lines with bulkFilter and reads the answer's items by position:
// an item answered created or 409 is done, one the answer lacks (fewer
// items, or an item under another action than create) is retried, never
// taken for another's outcome.
func TestSendReadsEachItemByPosition(t *testing.T) {
	var gotFilter, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotFilter, gotBody = r.URL.Query().Get("filter_path"), string(b)
		w.Header().Set("Content-Type", "application/json")
		// Four documents sent, three items answered, the third under
		// another action.
		io.WriteString(w, `{"errors":true,"items":[{"create":{"status":201}},`+
			`{"create":{"status":409,"error":{"type":"version_conflict_engine_exception","reason":"exists"}}},`+
			`{"index":{"status":201}}]}`)
	}))
	defer srv.Close()
	es, err := elastic.NewClient(elastic.SetURL(srv.URL), elastic.SetSniff(false), elastic.SetHealthcheck(false))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMetrics(prometheus.NewRegistry())
	ctx := context.Background()
	ix := newIndexer(es, conf.DefaultElasticsearch(), m)
	s := &sink{ctx: ctx, ix: ix, budget: newBudget(DefaultMaxInflightBytes), metrics: m}
	discard := slog.New(slog.DiscardHandler)
	l := s.lane("r", conf.NewCondition(discard), discard)
	results := map[string]result{}
	var items []*item
	for _, id := range []string{"a", "b", "c", "d"} {
		d := document{Index: "logs", ID: id, Body: `{"n":"` + id + `"}`}
		d.action = string(appendCreateAction(nil, d.Index, d.ID))
		items = append(items, &item{doc: d, lane: l, ack: func(o outcome) { results[id] = o.result }})
	}
	again := ix.send(ctx, items)

	if gotFilter != bulkFilter {
		t.Errorf("filter_path = %q, want %q", gotFilter, bulkFilter)
	}
	wantBody := `{"create":{"_index":"logs","_id":"a"}}` + "\n" + `{"n":"a"}` + "\n" +
		`{"create":{"_index":"logs","_id":"b"}}` + "\n" + `{"n":"b"}` + "\n" +
		`{"create":{"_index":"logs","_id":"c"}}` + "\n" + `{"n":"c"}` + "\n" +
		`{"create":{"_index":"logs","_id":"d"}}` + "\n" + `{"n":"d"}` + "\n"
	if gotBody != wantBody {
		t.Errorf("body:\n%s\nwant:\n%s", gotBody, wantBody)
	}
	if results["a"] != created || results["b"] != duplicate || len(results) != 2 {
		t.Errorf("outcomes %v, want a created and b duplicate only", results)
	}
	if len(again) != 2 || again[0] != items[2] || again[1] != items[3] {
		t.Errorf("%d items to retry, want c and d", len(again))
	}
}
