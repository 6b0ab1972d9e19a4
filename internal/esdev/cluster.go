package esdev

import (
	"net"
	"net/http"
)

// Identity of the single node. The version number carries a "-standin"
// suffix and the tagline says what this is, so nobody mistakes the
// stand-in for Elasticsearch in a log line or a curl session.
const (
	nodeName    = "esdev"
	nodeID      = "esdev-standin-node-0"
	clusterName = "esdev"
	clusterUUID = "esdev-standin-cluster"
	version     = "7.17.0-standin"
	tagline     = "esdev: an in-memory Elasticsearch-API stand-in for tests; not Elasticsearch"
)

// handleRoot serves GET / and HEAD / (olivere's ping and healthcheck).
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request, _ params) {
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"name":         nodeName,
		"cluster_name": clusterName,
		"cluster_uuid": clusterUUID,
		"version": map[string]any{
			"number":                              version,
			"build_flavor":                        "standin",
			"build_type":                          "esdev",
			"build_hash":                          "standin",
			"build_date":                          "2022-01-28T08:36:04.875279988Z",
			"build_snapshot":                      false,
			"lucene_version":                      "none",
			"minimum_wire_compatibility_version":  "6.8.0",
			"minimum_index_compatibility_version": "6.0.0-beta1",
		},
		"tagline": tagline,
	})
}

// handleNodes serves GET /_nodes/... with this one node. olivere's sniffer
// reads http.publish_address from it and then talks to that address, so it
// must be the address the client can reach.
func (s *Server) handleNodes(w http.ResponseWriter, r *http.Request, _ params) {
	addr := s.publishAddress(r)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"_nodes":       map[string]any{"total": 1, "successful": 1, "failed": 0},
		"cluster_name": clusterName,
		"nodes": map[string]any{
			nodeID: map[string]any{
				"name":              nodeName,
				"transport_address": addr,
				"host":              host,
				"ip":                host,
				"version":           version,
				"build_flavor":      "standin",
				"build_type":        "esdev",
				"build_hash":        "standin",
				"roles":             []string{"data", "ingest", "master"},
				"attributes":        map[string]any{},
				"http": map[string]any{
					"bound_address":               []string{addr},
					"publish_address":             addr,
					"max_content_length_in_bytes": s.maxBody,
				},
			},
		},
	})
}

// handleHealth serves GET /_cluster/health. A single in-memory node has
// every shard assigned, so the status is always green.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, p params) {
	s.mu.RLock()
	shards := len(s.indices)
	if p["index"] != "" {
		names, _ := s.resolveLocked(p["index"], resolveOptions{ignoreUnavailable: true, allowNoIndices: true})
		shards = len(names)
	}
	s.mu.RUnlock()
	s.writeJSON(w, r, http.StatusOK, map[string]any{
		"cluster_name":                     clusterName,
		"status":                           "green",
		"timed_out":                        false,
		"number_of_nodes":                  1,
		"number_of_data_nodes":             1,
		"active_primary_shards":            shards,
		"active_shards":                    shards,
		"relocating_shards":                0,
		"initializing_shards":              0,
		"unassigned_shards":                0,
		"delayed_unassigned_shards":        0,
		"number_of_pending_tasks":          0,
		"number_of_in_flight_fetch":        0,
		"task_max_waiting_in_queue_millis": 0,
		"active_shards_percent_as_number":  100.0,
	})
}
