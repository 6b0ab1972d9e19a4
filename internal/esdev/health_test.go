package esdev_test

import (
	"net/http"
	"testing"
)

// TestClusterHealth: green when every shard is assigned, yellow when all
// primaries are but a replica is not, which on a single node is any index
// with replicas.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/cluster-health.html
func TestClusterHealth(t *testing.T) {
	s := startServer(t)
	health := func(path string) (string, float64) {
		t.Helper()
		r := do(t, http.MethodGet, s.URL()+path, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, r.status, r.text)
		}
		return r.body["status"].(string), r.body["unassigned_shards"].(float64)
	}
	if st, _ := health("/_cluster/health"); st != "green" {
		t.Fatalf("empty cluster: %s, want green", st)
	}
	createIndex(t, s.URL(), "solo", `{"number_of_replicas":0}`)
	createIndex(t, s.URL(), "replicated", `{"number_of_replicas":1}`)
	if st, un := health("/_cluster/health"); st != "yellow" || un != 1 {
		t.Fatalf("with a replicated index: %s, %v unassigned; want yellow, 1", st, un)
	}
	if r := do(t, http.MethodGet, s.URL()+"/_cluster/health?wait_for_status=green", ""); r.status != http.StatusBadRequest {
		t.Fatalf("wait_for_status = %d, want 400 (not supported)", r.status)
	}
}
