package esdev

import (
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
)

// A single node never assigns a replica: an index asking for replicas is
// yellow, one without green, in _cat/indices and _cluster/health alike.

// handleCatIndices serves GET /_cat/indices[/{index}] as aligned text with
// Elasticsearch's default columns (?v adds the header; ?format is not
// supported); docs.count counts searchable documents.
func (s *Server) handleCatIndices(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
		if r.URL.Query().Has("v") {
			tw.Write([]byte("health\tstatus\tindex\tuuid\tpri\trep\tdocs.count\tdocs.deleted\tstore.size\tpri.store.size\n"))
		}
		for _, idx := range idxs {
			size, docs := strconv.FormatInt(idx.bytes, 10)+"b", 0
			idx.visibleDocs(func(*doc) { docs++ })
			tw.Write([]byte(strings.Join([]string{map[bool]string{true: "yellow", false: "green"}[idx.replicas() > 0], "open",
				idx.name, idx.uuid, "1", strconv.Itoa(idx.replicas()), strconv.Itoa(docs), "0", size, size}, "\t") + "\n"))
		}
		_ = tw.Flush() // a strings.Builder does not fail
		return plainText(b.String()), nil
	})
}

// handleClusterHealth serves GET /_cluster/health (cluster-health.html),
// which logctl check and the daemons' -check-deps read; the wait_for_*
// parameters are refused (nothing here ever changes health).
func (s *Server) handleClusterHealth(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		unassigned := 0
		for _, idx := range idxs {
			unassigned += idx.replicas()
		}
		status, percent := "green", 100.0
		if unassigned > 0 {
			status, percent = "yellow", 100*float64(len(idxs))/float64(len(idxs)+unassigned)
		}
		return map[string]any{"cluster_name": "esdev", "status": status, "timed_out": false, "number_of_nodes": 1,
			"number_of_data_nodes": 1, "active_primary_shards": len(idxs), "active_shards": len(idxs), "relocating_shards": 0,
			"initializing_shards": 0, "unassigned_shards": unassigned, "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0,
			"number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0, "active_shards_percent_as_number": percent}, nil
	})
}
