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
// ?v for headers, ?h to pick columns, ?s to sort) or ?format=json.
func (s *Server) handleCatIndices(w http.ResponseWriter, r *http.Request, p params) {
	q := r.URL.Query()
	cols := catColumns
	if h := q.Get("h"); h != "" {
		cols = strings.Split(h, ",")
		for _, c := range cols {
			if !slices.Contains(catColumns, c) && c != "creation.date" && c != "creation.date.string" {
				s.writeError(w, r, failf(http.StatusBadRequest, "illegal_argument_exception",
					"[esdev stand-in] _cat/indices column [%s] is not supported", c))
				return
			}
		}
	}
	s.mu.RLock()
	names, aerr := s.resolveLocked(p["index"], defaultResolve(r))
	rows := make([]map[string]string, 0, len(names))
	for _, n := range names {
		idx := s.indices[n]
		size := byteSize(idx.sizeBytes())
		rows = append(rows, map[string]string{
			"health": "green", "status": "open", "index": n, "uuid": idx.uuid,
			"pri": idx.settings["index.number_of_shards"], "rep": idx.settings["index.number_of_replicas"],
			"docs.count": strconv.Itoa(len(idx.docs)), "docs.deleted": "0",
			"store.size": size, "pri.store.size": size,
			"creation.date":        strconv.FormatInt(idx.created.UnixMilli(), 10),
			"creation.date.string": idx.created.Format("2006-01-02T15:04:05.000Z"),
		})
	}
	s.mu.RUnlock()
	if aerr != nil {
		s.writeError(w, r, aerr)
		return
	}
	if sortBy := q.Get("s"); sortBy != "" {
		col, dir, _ := strings.Cut(sortBy, ":")
		slices.SortStableFunc(rows, func(a, b map[string]string) int {
			c := compareCatCell(a[col], b[col])
			if dir == "desc" {
				c = -c
			}
			return c
		})
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

func compareCatCell(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmpFloat(x, y)
	}
	return strings.Compare(a, b)
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
func byteSize(n int) string {
	units := []string{"b", "kb", "mb", "gb", "tb"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return strconv.Itoa(n) + "b"
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + units[u]
}
