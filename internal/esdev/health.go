package esdev

import "net/http"

// handleClusterHealth serves GET /_cluster/health as a one-node
// cluster reports it (reference: "Cluster health API", cluster-health.html):
// every primary is assigned, a replica never is, so the status is yellow
// when an index asks for replicas and green otherwise, as _cat/indices
// says per index. logctl check and the daemons' -check-deps read it; the
// wait_for_* parameters are refused (nothing here ever changes health).
func (s *Server) handleClusterHealth(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	if aerr := checkParams(r, "level", "local"); aerr != nil {
		return nil, aerr
	}
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		unassigned := 0
		for _, idx := range idxs {
			unassigned += idx.replicas()
		}
		status, percent := "green", 100.0
		if unassigned > 0 {
			status, percent = "yellow", 100*float64(len(idxs))/float64(len(idxs)+unassigned)
		}
		return map[string]any{
			"cluster_name": "esdev", "status": status, "timed_out": false,
			"number_of_nodes": 1, "number_of_data_nodes": 1,
			"active_primary_shards": len(idxs), "active_shards": len(idxs),
			"relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": unassigned,
			"delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0,
			"task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": percent,
		}, nil
	})
}
