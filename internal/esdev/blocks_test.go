package esdev_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/olivere/elastic/v7"
)

// createOne creates document {"a": id} in index logs with op_type=create,
// as logtransfer writes, and returns its bulk item.
func createOne(t *testing.T, c *elastic.Client, id string) *elastic.BulkResponseItem {
	t.Helper()
	res, err := c.Bulk().Add(elastic.NewBulkCreateRequest().Index("logs").Id(id).Doc(map[string]any{"a": id})).Do(t.Context())
	if err != nil || len(res.Items) != 1 || len(res.Items[0]) != 1 {
		t.Fatalf("bulk: %+v, %v; want one item", res, err)
	}
	return res.Items[0]["create"]
}

// TestWriteBlocks: a block set with PUT /{index}/_settings refuses every
// document write with cluster_block_exception, 403 for the write and
// read-only blocks, 429 for the disk flood-stage block
// (elastic/elasticsearch#50166, #58410), and the writes succeed again once
// the block is reset or set to false.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules-blocks.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/modules-cluster.html#cluster-routing-flood-stage
func TestWriteBlocks(t *testing.T) {
	for _, tt := range []struct {
		name     string
		settings string
		status   int
		reason   string
	}{
		{"write", `{"index.blocks.write": true}`, http.StatusForbidden,
			"index [logs] blocked by: [FORBIDDEN/8/index write (api)];"},
		{"read_only nested", `{"index":{"blocks":{"read_only":"true"}}}`, http.StatusForbidden,
			"index [logs] blocked by: [FORBIDDEN/5/index read-only (api)];"},
		{"flood stage", `{"settings":{"index.blocks.read_only_allow_delete": true}}`, http.StatusTooManyRequests,
			"index [logs] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"},
		{"write and flood stage: 429 wins", `{"blocks.write": true, "blocks.read_only_allow_delete": true}`, http.StatusTooManyRequests,
			"index [logs] blocked by: [FORBIDDEN/8/index write (api), TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t)
			c := newClient(t, s.URL())
			createOne(t, c, "1")
			if r := do(t, http.MethodPut, s.URL()+"/logs/_settings", tt.settings); r.status != http.StatusOK {
				t.Fatalf("PUT _settings = %d %s", r.status, r.text)
			}
			it := createOne(t, c, "2")
			if it.Status != tt.status || it.Error == nil || it.Error.Type != "cluster_block_exception" || it.Error.Reason != tt.reason {
				t.Fatalf("blocked item = %d %+v, want %d cluster_block_exception %q", it.Status, it.Error, tt.status, tt.reason)
			}
			if r := do(t, http.MethodPut, s.URL()+"/logs/_doc/3", `{"a":3}`); r.status != tt.status || r.errorType() != "cluster_block_exception" {
				t.Fatalf("document API on a blocked index = %d %s", r.status, r.text)
			}
			// Lift every block the way an operator does after freeing disk.
			lift := `{"index.blocks.write": null, "index.blocks.read_only": false, "index.blocks.read_only_allow_delete": null}`
			if r := do(t, http.MethodPut, s.URL()+"/_all/_settings", lift); r.status != http.StatusOK {
				t.Fatalf("lifting = %d %s", r.status, r.text)
			}
			if it := createOne(t, c, "2"); it.Status != http.StatusCreated {
				t.Fatalf("after lifting = %d %+v", it.Status, it.Error)
			}
			if n := s.Count("logs"); n != 2 {
				t.Fatalf("count = %d, want 2", n)
			}
		})
	}
}

// TestPutSettingsErrors: static settings cannot change on an open index
// (400 illegal_argument_exception), and a missing index is a 404. The
// stand-in also refuses the dynamic settings it reads only at creation.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-update-settings.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/index-modules.html#index-modules-settings
func TestPutSettingsErrors(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	createOne(t, c, "1")
	if r := do(t, http.MethodPut, s.URL()+"/logs/_settings", `{"index.number_of_shards": 3}`); r.status != http.StatusBadRequest || r.errorType() != "illegal_argument_exception" {
		t.Errorf("static setting = %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodPut, s.URL()+"/logs/_settings", `{"index.refresh_interval": "-1"}`); r.status != http.StatusBadRequest ||
		!strings.Contains(r.text, "not supported by the stand-in") {
		t.Errorf("refresh_interval of an existing index = %d %s", r.status, r.text)
	}
	if r := do(t, http.MethodPut, s.URL()+"/nope/_settings", `{"index.blocks.write": true}`); r.status != http.StatusNotFound || r.errorType() != "index_not_found_exception" {
		t.Errorf("missing index = %d %s", r.status, r.text)
	}
}

// TestCloseAndOpen: a closed index refuses writes (400
// index_closed_exception, "closed"; 400 since elastic/elasticsearch#25752)
// and takes them again once opened.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-close.html
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/indices-open-close.html
func TestCloseAndOpen(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.URL())
	createOne(t, c, "1")
	res, err := c.CloseIndex("logs").Do(t.Context())
	if err != nil || !res.Acknowledged {
		t.Fatalf("close: %+v %v", res, err)
	}
	it := createOne(t, c, "2")
	if it.Status != http.StatusBadRequest || it.Error == nil || it.Error.Type != "index_closed_exception" ||
		it.Error.Reason != "closed" || it.Error.Index != "logs" {
		t.Fatalf("item on a closed index = %d %+v", it.Status, it.Error)
	}
	if r := do(t, http.MethodPost, s.URL()+"/nope/_close", ""); r.status != http.StatusNotFound {
		t.Errorf("closing a missing index = %d %s", r.status, r.text)
	}
	if _, err := c.OpenIndex("logs").Do(t.Context()); err != nil {
		t.Fatalf("open: %v", err)
	}
	if it := createOne(t, c, "2"); it.Status != http.StatusCreated {
		t.Fatalf("after open = %d %+v", it.Status, it.Error)
	}
}
