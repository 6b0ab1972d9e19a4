package logtransfer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// TestAppendJSONMatchesMarshal: the append encoder writes what json.Marshal
// writes, byte for byte.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	values := []any{
		"", "plain", `q"uote\back`, "<a href='x'>&amp;</a>", "ctl\x00\x01\b\f\n\r\t\x1f\x7f",
		"bad utf8 \xff\xfe end", "cut \xe2\x82", "sep \u2028 \u2029", "ünïcödé 日本 🎉",
		json.Number("9007199254740993"), json.Number("-1.5e3"), true, false, nil, 12.5, float64(1e21),
		map[string]any{"b": "1", "a": []any{"x", nil, json.Number("2")}, "<k>": map[string]any{}, "Z": "up"},
		[]any{}, map[string]any(nil), []any(nil),
	}
	for _, v := range values {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSONValue(nil, v)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("appendJSONValue(%#v) = %s, %v; json.Marshal: %s", v, got, err, want)
		}
		if s, ok := v.(string); ok {
			if got := appendJSONString(nil, []byte(s)); !bytes.Equal(got, want) {
				t.Errorf("appendJSONString([]byte(%q)) = %s, want %s", s, got, want)
			}
		}
	}
}

func TestAppendTimestamp(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.FixedZone("x", 8*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 1e6, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), {},
	} {
		if got, want := string(appendTimestamp(nil, tm)), tm.UTC().Format(timestampLayout); got != want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}

// TestBuildBodyCanonical: bodies of awkward records are what json.Marshal
// writes for the same fields (sorted keys, each once, owned fields win).
func TestBuildBodyCanonical(t *testing.T) {
	hdr := func(k, v string) *sarama.RecordHeader { return &sarama.RecordHeader{Key: []byte(k), Value: []byte(v)} }
	tests := []struct {
		name  string
		route Route
		value string
		hdrs  []*sarama.RecordHeader
		want  map[string]string // top-level key → its JSON
	}{
		{"shadowing", Route{Topic: "t", Format: FormatJSON}, `{"!first":1,"@timestamp":"x","host":"h","log":"l","lp":"p","tags":"t","zz":"<&>","A":{"b":1,"a":2}}`,
			[]*sarama.RecordHeader{hdr(hdrHost, "web<1>"), hdr(hdrFields, `{"app":"shop","zz":"static","message":"m"}`)},
			map[string]string{"!first": "1", "A": `{"a":2,"b":1}`, "zz": `"\u003c\u0026\u003e"`, "host": `{"name":"web\u003c1\u003e"}`, "log": `"l"`, "lp": `"p"`, "tags": `"t"`, "app": `"shop"`}},
		{"offset only", Route{Topic: "t"}, "line\u2028", []*sarama.RecordHeader{hdr(hdrOffset, "7"), nil, hdr(hdrTruncated, "true")},
			map[string]string{"log": `{"offset":7}`, "lp": `{"truncated":true}`, "message": `"line\u2028"`}},
		// Agents since 2026-12 send no lp.offset: it is lp.id's suffix.
		{"offset from the id", Route{Topic: "t"}, "line", []*sarama.RecordHeader{hdr(hdrID, "9f0c-42"), hdr(hdrPath, "/p")},
			map[string]string{"log": `{"file":{"path":"/p"},"offset":42}`}},
		{"id without an offset", Route{Topic: "t"}, "line", []*sarama.RecordHeader{hdr(hdrID, "from-another-tool")},
			map[string]string{"log": "null"}},
		{"bad fields and parse", Route{Topic: "t", Format: FormatJSON}, `{`, []*sarama.RecordHeader{hdr(hdrFields, `{`), hdr(hdrPath, "/p")},
			map[string]string{"tags": `["fields_parse_error","parse_error"]`, "log": `{"file":{"path":"/p"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := newDocBuilder(tt.route.WithDefaults(), time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			d := db.build(&sarama.ConsumerMessage{Topic: "t", Value: []byte(tt.value), Headers: tt.hdrs})
			var src map[string]any
			dec := json.NewDecoder(strings.NewReader(d.Body))
			dec.UseNumber()
			if err := dec.Decode(&src); err != nil {
				t.Fatalf("body %s: %v", d.Body, err)
			}
			if canon, _ := json.Marshal(src); string(canon) != d.Body {
				t.Errorf("body\n%s\nis not canonical:\n%s", d.Body, canon)
			}
			for k, want := range tt.want {
				if got, _ := json.Marshal(src[k]); string(got) != want {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
			if !strings.HasPrefix(d.action, `{"create":{"_index":`) {
				t.Errorf("action line %s", d.action)
			}
		})
	}
}

// BenchmarkAppendJSONString is a typical access line: ASCII, a few quotes.
func BenchmarkAppendJSONString(b *testing.B) {
	line := []byte(`10.0.0.1 - - [23/Jun/2020:18:00:00 +0800] "GET /api/v1/items?id=12345&page=2 HTTP/1.1" 200 5123 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" rt=0.012 uct=0.001 uht=0.011 urt=0.011`)
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		buf = appendJSONString(buf[:0], line)
	}
}
