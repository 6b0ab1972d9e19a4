package logagent

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	mlJava    = &Multiline{Pattern: `^[[:space:]]`, Match: "after"}
	mlBracket = &Multiline{Pattern: `^\[`, Negate: true, Match: "after"}
	mlBefore  = &Multiline{Pattern: `\\$`, Match: "before"}
)

func TestMultiline(t *testing.T) {
	tests := []struct {
		name  string
		ml    *Multiline
		limit int
		in    string
		want  []frEv
	}{
		{"java stack trace", mlJava, 0,
			"Exception in main\n\tat a.b(A.java:1)\n\tat c.d(C.java:2)\nnext\n",
			[]frEv{{"Exception in main\n\tat a.b(A.java:1)\n\tat c.d(C.java:2)", 0, 54, false}, {"next", 54, 59, false}}},
		{"crlf joined without cr", mlJava, 0, "a\r\n b\r\nc\r\n",
			[]frEv{{"a\n b", 0, 7, false}, {"c", 7, 10, false}}},
		{"leading continuation starts an event", mlJava, 0, " x\n y\nz\n",
			[]frEv{{" x\n y", 0, 6, false}, {"z", 6, 8, false}}},
		{"empty line ends a java event", mlJava, 0, "a\n b\n\nc\n",
			[]frEv{{"a\n b", 0, 5, false}, {"", 5, 6, false}, {"c", 6, 8, false}}},
		{"negate bracket", mlBracket, 0, "[1] start\ncont\n\n[2] x\n[3] y\nmore\n",
			[]frEv{{"[1] start\ncont\n", 0, 16, false}, {"[2] x", 16, 22, false}, {"[3] y\nmore", 22, 33, false}}},
		{"before joins into next line", mlBefore, 0, "a\\\nb\\\nc\nd\n",
			[]frEv{{"a\\\nb\\\nc", 0, 8, false}, {"d", 8, 10, false}}},
		{"before pending flushed", mlBefore, 0, "a\nb\\\n",
			[]frEv{{"a", 0, 2, false}, {"b\\", 2, 5, false}}},
		{"limit lines drops the rest in range", &Multiline{Pattern: `^ `, Match: "after", MaxLines: 2}, 0,
			"a\n 1\n 2\n 3\nb\n",
			[]frEv{{"a\n 1", 0, 11, true}, {"b", 11, 13, false}}},
		{"limit bytes bounds the event", mlJava, 6, "abc\n de\n fgh\nx\n",
			[]frEv{{"abc\n d", 0, 13, true}, {"x", 13, 15, false}}},
		{"over-long line inside event", mlJava, 6, "a\n 12345678\n b\n",
			[]frEv{{"a\n 123", 0, 15, true}}},
		{"partial last line continues event", mlJava, 0, "a\n b",
			[]frEv{{"a\n b", 0, 4, false}}},
		{"partial last line starts event", mlJava, 0, "a\n b\nc",
			[]frEv{{"a\n b", 0, 5, false}, {"c", 5, 6, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := FramerConfig{MaxLineBytes: tt.limit, Multiline: tt.ml}
			for _, chunks := range frSplits([]byte(tt.in)) {
				got := frRun(t, cfg, 0, chunks...)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, tt.want)
				}
			}
		})
	}
}

func TestMultilineTimeout(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	ml := *mlJava
	ml.Timeout = Duration(2 * time.Second)
	f, err := NewFramer(FramerConfig{Multiline: &ml}, 0)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at       time.Duration // since t0
		write    string
		want     []frEv
		deadline time.Duration // -1: none
		next     int64         // Pending's next
	}{
		{0, "", nil, -1, 0},
		{0, "a\n", nil, 2 * time.Second, 0},
		{1 * time.Second, " b\n", nil, 3 * time.Second, 0},
		{2900 * time.Millisecond, "", nil, 3 * time.Second, 0},
		// A line already written extends the event even if Next is late.
		{10 * time.Second, " c\n", nil, 12 * time.Second, 0},
		{12 * time.Second, " partial", []frEv{{"a\n b\n c", 0, 8, false}}, -1, 8},
		// A line that begins after a timeout starts a new event.
		{13 * time.Second, "\nd\n", []frEv{{" partial", 8, 17, false}}, 15 * time.Second, 17},
		{15 * time.Second, "", []frEv{{"d", 17, 19, false}}, -1, 19},
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		f.Write([]byte(s.write))
		if got := frDrain(f, now); !slices.Equal(got, s.want) {
			t.Fatalf("step %d: got %v, want %v", i, got, s.want)
		}
		want := time.Time{}
		if s.deadline >= 0 {
			want = t0.Add(s.deadline)
		}
		if got := f.Deadline(); !got.Equal(want) {
			t.Fatalf("step %d: Deadline() = %v, want %v", i, got, want)
		}
		if _, next := f.Pending(); next != s.next {
			t.Fatalf("step %d: Pending next = %d, want %d", i, next, s.next)
		}
	}
}

func TestMultilineValidate(t *testing.T) {
	tests := []struct {
		name string
		ml   Multiline
		want []string // substrings of the error; none: valid
	}{
		{"java", *mlJava, nil},
		{"before", *mlBefore, nil},
		{"bad pattern", Multiline{Pattern: `[`, Match: "after"}, []string{"multiline.pattern: error parsing regexp: missing closing ]"}},
		{"empty pattern", Multiline{Match: "after"}, []string{"multiline.pattern: must not be empty"}},
		{"bad match", Multiline{Pattern: "x", Match: "around"}, []string{`multiline.match: "around"`}},
		{"everything wrong", Multiline{Pattern: `(`, MaxLines: -1, Timeout: -1},
			[]string{"multiline.pattern:", "multiline.match:", "multiline.max_lines:", "multiline.timeout:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ml.Validate()
			if (err == nil) != (tt.want == nil) {
				t.Fatalf("Validate() = %v, want errors %q", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestMultilineJSON(t *testing.T) {
	in := `{"pattern":"^\\s","negate":true,"match":"before","max_lines":10,"timeout":"1m30s"}`
	var m Multiline
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	want := Multiline{Pattern: `^\s`, Negate: true, Match: "before", MaxLines: 10, Timeout: Duration(90 * time.Second)}
	if m != want {
		t.Fatalf("decoded %+v, want %+v", m, want)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Fatalf("encoded %s, want %s", out, in)
	}
	if err := json.Unmarshal([]byte(`{"timeout":"5 parsecs"}`), &m); err == nil {
		t.Fatal("bad duration decoded without error")
	}
}
