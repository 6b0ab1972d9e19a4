package esdev

import (
	"slices"
	"testing"
	"time"
)

func TestDateMath(t *testing.T) {
	now := time.Date(2024, 3, 15, 13, 45, 30, 0, time.UTC)
	tests := []struct {
		expr    string
		roundUp bool
		want    string
	}{
		{"now", false, "2024-03-15T13:45:30Z"},
		{"now-15m", false, "2024-03-15T13:30:30Z"},
		{"now-1d/d", false, "2024-03-14T00:00:00Z"},
		{"now/d", true, "2024-03-15T23:59:59.999Z"},
		{"now/M", false, "2024-03-01T00:00:00Z"},
		{"now/w", false, "2024-03-11T00:00:00Z"},
		{"2024-01-01||+1M/d", false, "2024-02-01T00:00:00Z"},
		{"2024-01-31T10:00:00+02:00", false, "2024-01-31T08:00:00Z"},
		{"2024-01-01", true, "2024-01-01T23:59:59.999Z"},
		{"2024-01-01T10", true, "2024-01-01T10:59:59.999Z"},
		{"2024-01-01T10:00:00.123456Z", false, "2024-01-01T10:00:00.123456Z"},
		{"1704067200000", false, "2024-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := dateMath(tt.expr, "", time.UTC, now, tt.roundUp)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.UTC().Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("dateMath(%q, roundUp=%v) = %s, want %s", tt.expr, tt.roundUp, s, tt.want)
			}
		})
	}
	for _, bad := range []string{"now-15x", "now+", "yesterday", "2024-13-01", "2024-02-30"} {
		if _, err := dateMath(bad, "", time.UTC, now, false); err == nil {
			t.Errorf("dateMath(%q) succeeded, want an error", bad)
		}
	}
}

func TestDateDetectionAndFormats(t *testing.T) {
	for s, want := range map[string]bool{
		"2024-01-01": true, "2024-01-01T10:00:00Z": true, "2024-01-01T10:00:00.5+01:00": true,
		"2024": false, "12:00": false, "web-01": false, "2024-1-1": false,
	} {
		if got := looksLikeDate(s); got != want {
			t.Errorf("looksLikeDate(%q) = %v, want %v", s, got, want)
		}
	}
	got, err := parseDate("2024/01/02 03:04:05", "yyyy/MM/dd HH:mm:ss||epoch_millis", nil)
	if err != nil || got.Format(time.RFC3339) != "2024-01-02T03:04:05Z" {
		t.Errorf("custom format = %v, %v", got, err)
	}
}

func TestAnalyzeAndWildcards(t *testing.T) {
	if got := analyze("Disk FULL on /dev/sda1, host web-01.example.com (don't)"); !slices.Equal(got,
		[]string{"disk", "full", "on", "dev", "sda1", "host", "web", "01.example.com", "don't"}) {
		t.Errorf("analyze = %q", got)
	}
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{{"err*", "error", true}, {"e?ror", "error", true}, {"*or", "error", true}, {"x*", "error", false}, {"*", "", true}} {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

func TestQueryStringSyntax(t *testing.T) {
	m, _ := parseMapping(map[string]any{"properties": map[string]any{
		"host": map[string]any{"type": "keyword"}, "msg": map[string]any{"type": "text"},
		"status": map[string]any{"type": "long"},
	}})
	idx := &index{name: "i", mapping: m}
	mk := func(id string, src map[string]any) *doc { return &doc{id: id, parsed: src, fields: flatten(src)} }
	docs := []*doc{
		mk("a", map[string]any{"host": "web1", "msg": "disk full", "status": 500}),
		mk("b", map[string]any{"host": "web2", "msg": "all good", "status": 200}),
		mk("c", map[string]any{"host": "web1", "msg": "all good"}),
	}
	tests := []struct {
		q    string
		and  bool
		want []string
	}{
		{"web1", false, []string{"a", "c"}},
		{"host:web1 -status:500", false, []string{"c"}},
		{"host:web1 good", true, []string{"c"}},
		{"(disk OR good) AND NOT host:web2", false, []string{"a", "c"}},
		{"status:[100 TO 300]", false, []string{"b"}},
		{"status:{200 TO *]", false, []string{"a"}},
		{"_exists_:status && !host:web2", false, []string{"a"}},
		{`msg:"all good"`, false, []string{"b", "c"}},
		{"*", false, []string{"a", "b", "c"}},
		{"host:web*", false, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			q, aerr := compileQueryString(tt.q, qsOptions{fields: []string{"*"}, and: tt.and})
			if aerr != nil {
				t.Fatal(aerr)
			}
			match, err := q.bind(&binder{idx: idx, now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range docs {
				if match(d) {
					got = append(got, d.id)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q matched %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"(unclosed", "host:", `"open phrase`, "a)"} {
		if _, aerr := compileQueryString(bad, qsOptions{fields: []string{"*"}}); aerr == nil {
			t.Errorf("compileQueryString(%q) succeeded, want a parse error", bad)
		}
	}
}
