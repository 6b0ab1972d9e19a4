package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// StampKey marks the write time a line carries, in Unix nanoseconds:
// "lpbench_t=<n>" in access lines, "lpbench_t":<n> in JSON lines. The sink
// finds it in each document it indexes to measure write-to-indexed latency.
const StampKey = "lpbench_t"

// maxLatency is the largest latency the histogram resolves; slower documents
// land in its last bucket.
const maxLatency = 120 * time.Second

// Sink is a minimal Elasticsearch bulk endpoint: it answers every bulk item
// "created" (as Elasticsearch 7 would, or as much as ?filter_path keeps)
// without storing anything, so the daemon under test pays for all
// of its client side (documents, batching, encoding, response parsing) while
// the sink stays cheap. Index template lookups answer 404 and writes of
// templates or policies are acknowledged, which is all logtransfer asks for
// besides _bulk. It counts the documents and, for those carrying StampKey,
// the latency from the write of the line to its indexing, in a histogram of
// 1 ms buckets.
//
// Besides the Elasticsearch API it serves GET /_bench/stats (Stats as JSON)
// and POST /_bench/reset (clears the latency histogram).
type Sink struct {
	mu      sync.Mutex
	docs    int64
	lat     []int64 // lat[i]: documents indexed i ms after their line was written
	stamped int64
}

// NewSink returns an empty sink.
func NewSink() *Sink { return &Sink{lat: make([]int64, maxLatency/time.Millisecond+1)} }

// Stats is what the sink has seen since it started (Docs) and since the
// last reset (the latency figures).
type Stats struct {
	Docs    int64   `json:"docs"`
	Stamped int64   `json:"stamped"`
	P50ms   float64 `json:"p50_ms"`
	P99ms   float64 `json:"p99_ms"`
	Maxms   float64 `json:"max_ms"`
}

// ServeHTTP answers the bulk API, the few calls around it, and /_bench/.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/_bulk"):
		s.bulk(w, r)
	case r.URL.Path == "/_bench/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case r.URL.Path == "/_bench/reset" && r.Method == http.MethodPost:
		s.reset()
		writeJSON(w, http.StatusOK, map[string]bool{"acknowledged": true})
	case r.URL.Path == "/":
		writeJSON(w, http.StatusOK, map[string]any{"name": "benchsink", "cluster_name": "benchsink",
			"version": map[string]string{"number": "7.17.0"}, "tagline": "not Elasticsearch"})
	case strings.HasPrefix(r.URL.Path, "/_index_template/") && r.Method == http.MethodGet:
		writeJSON(w, http.StatusNotFound, map[string]any{"status": 404,
			"error": map[string]string{"type": "resource_not_found_exception", "reason": "no template"}})
	default:
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, http.StatusOK, map[string]bool{"acknowledged": true})
	}
}

// bulk answers each action of an NDJSON bulk body with status 201.
func (s *Sink) bulk(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 100<<20)
	now := time.Now().UnixNano()
	keep, err := sinkFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ops, ids []string
	var lats []int64
	source := false // the next line is the source of the action before it
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		if source {
			source = false
			if t, ok := stamp(line); ok {
				lats = append(lats, now-t)
			}
			continue
		}
		op := actionName(line)
		ops = append(ops, op)
		if keep.all {
			ids = append(ids, actionID(line))
		}
		source = op != "delete"
	}
	if err := sc.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.record(len(ops), lats)
	var b bytes.Buffer
	b.Grow(32 + 200*len(ops))
	b.WriteByte('{')
	if keep.all || keep.took {
		b.WriteString(`"took":1,`)
	}
	if keep.all || keep.errors {
		b.WriteString(`"errors":false,`)
	}
	b.WriteString(`"items":[`)
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		if keep.all { // an Elasticsearch 7 item, whole
			fmt.Fprintf(&b, `{"%s":{"_index":"bench","_type":"_doc","_id":%q,"_version":1,"result":"created",`+
				`"_shards":{"total":2,"successful":1,"failed":0},"_seq_no":%d,"_primary_term":1,"status":201}}`, op, ids[i], i)
		} else {
			b.WriteString(`{"` + op + `":{"status":201}}`)
		}
	}
	b.WriteString("]}")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b.Bytes())
}

// sinkKeeps is what a bulk answer keeps of Elasticsearch's: all, or what
// the filter_path filters the sink knows select.
type sinkKeeps struct{ all, took, errors bool }

// sinkFilter reads a bulk request's filter_path. The sink knows the
// filters logtransfer asks for (items answer their status; no item has an
// error), and refuses others rather than answer more than Elasticsearch
// would and make the client's parsing look dearer than it is.
func sinkFilter(q url.Values) (sinkKeeps, error) {
	if !q.Has("filter_path") {
		return sinkKeeps{all: true}, nil
	}
	var k sinkKeeps
	for f := range strings.SplitSeq(q.Get("filter_path"), ",") {
		switch f {
		case "took":
			k.took = true
		case "errors":
			k.errors = true
		case "items.*.status", "items.*.error":
		default:
			return k, fmt.Errorf("benchsink: filter_path %q: only took, errors, items.*.status and items.*.error are known", f)
		}
	}
	return k, nil
}

// actionID is the _id of a bulk action line, "" without one.
func actionID(line []byte) string {
	_, rest, ok := bytes.Cut(line, []byte(`"_id":"`))
	if !ok {
		return ""
	}
	id, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(id)
}

// actionName is the operation of a bulk action line: {"create":{...}}.
func actionName(line []byte) string {
	_, rest, ok := bytes.Cut(line, []byte(`"`))
	if !ok {
		return "index"
	}
	name, _, _ := bytes.Cut(rest, []byte(`"`))
	switch string(name) {
	case "create", "index", "update", "delete":
		return string(name)
	}
	return "index"
}

// stamp finds StampKey in a document and returns the number after it,
// skipping the few separator characters JSON escaping puts between them.
func stamp(doc []byte) (int64, bool) {
	i := bytes.Index(doc, []byte(StampKey))
	if i < 0 {
		return 0, false
	}
	rest := doc[i+len(StampKey):]
	j := 0
	for j < len(rest) && j < 4 && (rest[j] < '0' || rest[j] > '9') {
		j++
	}
	var n int64
	digits := 0
	for ; j < len(rest) && rest[j] >= '0' && rest[j] <= '9'; j++ {
		n = n*10 + int64(rest[j]-'0')
		digits++
	}
	return n, digits > 0
}

func (s *Sink) record(docs int, lats []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.docs += int64(docs)
	s.stamped += int64(len(lats))
	for _, l := range lats {
		ms := min(max(l/int64(time.Millisecond), 0), int64(len(s.lat)-1))
		s.lat[ms]++
	}
}

func (s *Sink) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.lat)
	s.stamped = 0
}

// Stats returns the counts and latency percentiles so far.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Docs: s.docs, Stamped: s.stamped}
	if s.stamped == 0 {
		return st
	}
	st.P50ms = s.quantile(0.50)
	st.P99ms = s.quantile(0.99)
	for i := len(s.lat) - 1; i >= 0; i-- {
		if s.lat[i] > 0 {
			st.Maxms = float64(i)
			break
		}
	}
	return st
}

// quantile is the upper edge of the bucket holding quantile q (callers hold mu).
func (s *Sink) quantile(q float64) float64 {
	want := int64(q*float64(s.stamped) + 0.5)
	var seen int64
	for i, n := range s.lat {
		seen += n
		if seen >= max(want, 1) {
			return float64(i + 1)
		}
	}
	return float64(len(s.lat))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
