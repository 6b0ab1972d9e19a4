package logtransfer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenInput is testdata/document/<case>/input.json.
type goldenInput struct {
	Route    json.RawMessage `json:"route"`
	Timezone string          `json:"timezone"`
	Record   struct {
		Topic     string            `json:"topic"`
		Partition int32             `json:"partition"`
		Offset    int64             `json:"offset"`
		Timestamp time.Time         `json:"timestamp"`
		Key       string            `json:"key"`
		Value     string            `json:"value"`
		Headers   map[string]string `json:"headers"`
	} `json:"record"`
}

// goldenNow is event.ingested in golden files.
var goldenNow = time.Date(2024, 3, 5, 16, 30, 0, 0, time.UTC)

func (g goldenInput) message() *sarama.ConsumerMessage {
	r := g.Record
	m := &sarama.ConsumerMessage{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Timestamp: r.Timestamp, Key: []byte(r.Key), Value: []byte(r.Value)}
	keys := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.Headers = append(m.Headers, &sarama.RecordHeader{Key: []byte(k), Value: []byte(r.Headers[k])})
	}
	return m
}

func loadGoldenCase(t *testing.T, dir string) (*docBuilder, *sarama.ConsumerMessage) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	route, err := DecodeRoute(in.Route)
	if err != nil {
		t.Fatal(err)
	}
	tz := in.Timezone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	db, err := newDocBuilder(route, loc)
	if err != nil {
		t.Fatal(err)
	}
	db.now = func() time.Time { return goldenNow }
	return db, in.message()
}

// golden compares got with dir/name, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestDocumentGolden pins record → document for every case in
// testdata/document/<case>/: input.json (route, time zone, record) and
// document.json (index, _id, source).
func TestDocumentGolden(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "document", "*"))
	if len(dirs) == 0 {
		t.Fatal("no golden cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			db, m := loadGoldenCase(t, dir)
			d := db.build(m)
			var src any
			dec := json.NewDecoder(strings.NewReader(d.Body))
			dec.UseNumber() // show integers exactly as written
			if err := dec.Decode(&src); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			out, _ := json.MarshalIndent(map[string]any{"index": d.Index, "id": d.ID, "source": src}, "", "  ")
			golden(t, filepath.Join(dir, "document.json"), append(out, '\n'))
		})
	}
}

// TestBulkBodyGolden pins the NDJSON bulk body of every document case.
func TestBulkBodyGolden(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("testdata", "document", "*"))
	var docs []document
	for _, dir := range dirs {
		db, m := loadGoldenCase(t, dir)
		docs = append(docs, db.build(m))
	}
	body := bulkBody(len(docs), func(i int) *document { return &docs[i] })
	golden(t, filepath.Join("testdata", "bulk.ndjson"), []byte(body))
}

// TestIndexFollowsEachDocumentsDate: the index name a builder reuses
// for consecutive documents of one date changes with the date, both ways
// (a stream can go back a day: a late file, a replay), in the route's
// zone.
func TestIndexFollowsEachDocumentsDate(t *testing.T) {
	loc := time.FixedZone("UTC+8", 8*3600)
	db, err := newDocBuilder(Route{Topic: "mg", Index: "mg-{yyyy.MM.dd}"}.WithDefaults(), loc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ utc, want string }{
		{"2020-06-23T15:59:59Z", "mg-2020.06.23"},
		{"2020-06-23T16:00:00Z", "mg-2020.06.24"}, // midnight at UTC+8
		{"2020-06-23T10:00:00Z", "mg-2020.06.23"},
		{"2021-06-23T10:00:00Z", "mg-2021.06.23"},
		{"2021-07-23T10:00:00Z", "mg-2021.07.23"},
	} {
		ts, _ := time.Parse(time.RFC3339, c.utc)
		m := &sarama.ConsumerMessage{Topic: "mg", Value: []byte("x"), Headers: []*sarama.RecordHeader{
			{Key: []byte(hdrTS), Value: []byte(strconv.FormatInt(ts.UnixMilli(), 10))}}}
		if got := db.build(m).Index; got != c.want {
			t.Errorf("document of %s: index %s, want %s", c.utc, got, c.want)
		}
	}
}
