package esdev

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// catColumns are the default _cat/indices columns, in Elasticsearch's order.
var catColumns = []string{"health", "status", "index", "uuid", "pri", "rep",
	"docs.count", "docs.deleted", "store.size", "pri.store.size"}

// handleCatIndices serves GET /_cat/indices[/{index}]: aligned text (with
// ?v for headers, ?h to pick columns) or ?format=json. A single node never
// assigns replicas, so an index with number_of_replicas > 0 is yellow, as
// on a one-node cluster; docs.count counts searchable documents.
func (s *Server) handleCatIndices(w http.ResponseWriter, r *http.Request, p params) {
	if aerr := checkParams(r, "v", "h", "ignore_unavailable", "allow_no_indices"); aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	q := r.URL.Query()
	cols := catColumns
	if h := q.Get("h"); h != "" {
		cols = strings.Split(h, ",")
		for _, c := range cols {
			if !slices.Contains(catColumns, c) {
				s.writeError(w, r, unsupported("the _cat/indices column [%s]", c))
				return
			}
		}
	}
	s.mu.RLock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	rows := make([]map[string]string, 0, len(names))
	for _, n := range names {
		idx := s.indices[n]
		size := byteSize(idx.bytes)
		health := "green"
		if idx.replicas() > 0 {
			health = "yellow"
		}
		rows = append(rows, map[string]string{
			"health": health, "status": "open", "index": n, "uuid": idx.uuid,
			"pri": idx.settings["index.number_of_shards"], "rep": strconv.Itoa(idx.replicas()),
			"docs.count": strconv.Itoa(idx.visibleCount()), "docs.deleted": "0",
			"store.size": size, "pri.store.size": size,
		})
	}
	s.mu.RUnlock()
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	if q.Get("format") == "json" {
		out := make([]map[string]string, len(rows))
		for i, row := range rows {
			out[i] = make(map[string]string, len(cols))
			for _, c := range cols {
				out[i][c] = row[c]
			}
		}
		s.writeJSON(w, r, http.StatusOK, out)
		return
	}
	table := make([][]string, 0, len(rows)+1)
	if paramBool(r, "v", false) {
		table = append(table, cols)
	}
	for _, row := range rows {
		line := make([]string, len(cols))
		for i, c := range cols {
			line[i] = row[c]
		}
		table = append(table, line)
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		fmt.Fprint(w, alignColumns(table))
	}
}

// alignColumns pads cells to a common width per column, like _cat output.
func alignColumns(table [][]string) string {
	if len(table) == 0 {
		return ""
	}
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, row := range table {
		for i, c := range row {
			if i > 0 {
				b.WriteByte(' ')
			}
			if i == len(row)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// byteSize prints a size the way Elasticsearch's ByteSizeValue does.
func byteSize(n int64) string {
	units := []string{"b", "kb", "mb", "gb", "tb"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return strconv.FormatInt(n, 10) + "b"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + units[u]
}
