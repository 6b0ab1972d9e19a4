package esdev

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// catColumns are the default _cat/indices columns, in Elasticsearch's order.
var catColumns = []string{"health", "status", "index", "uuid", "pri", "rep",
	"docs.count", "docs.deleted", "store.size", "pri.store.size"}

// handleCatIndices serves GET /_cat/indices[/{index}] as aligned text (?v
// adds the header; ?format is not supported). A single node never assigns replicas,
// so an index with number_of_replicas > 0 is yellow, as on a one-node
// cluster; docs.count counts searchable documents.
func (s *Server) handleCatIndices(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	if aerr := checkParams(r, "v"); aerr != nil {
		return nil, aerr
	}
	return s.onIndices(p, false, func(idxs []*index) (any, *esError) {
		var rows [][]string
		for _, idx := range idxs {
			size, docs := strconv.FormatInt(idx.bytes, 10)+"b", 0
			idx.visibleDocs(func(*doc) { docs++ })
			rows = append(rows, []string{map[bool]string{true: "yellow", false: "green"}[idx.replicas() > 0], "open", idx.name,
				idx.uuid, "1", strconv.Itoa(idx.replicas()), strconv.Itoa(docs), "0", size, size})
		}
		if r.URL.Query().Has("v") {
			rows = append([][]string{catColumns}, rows...)
		}
		widths := make([]int, len(catColumns))
		for _, row := range rows {
			for i, c := range row {
				widths[i] = max(widths[i], len(c))
			}
		}
		var b strings.Builder
		for _, row := range rows {
			var line strings.Builder
			for i, c := range row {
				fmt.Fprintf(&line, "%-*s ", widths[i], c)
			}
			b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		}
		return plainText(b.String()), nil
	})
}
