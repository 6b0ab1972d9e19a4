package logagent

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// frEv is an Event with its Data copied, comparable with ==.
type frEv struct {
	Data        string
	Offset, End int64
	Truncated   bool
}

func (e frEv) String() string {
	return fmt.Sprintf("{%q [%d,%d) trunc=%v}", e.Data, e.Offset, e.End, e.Truncated)
}

func frCopy(ev Event) frEv {
	return frEv{Data: string(ev.Data), Offset: ev.Offset, End: ev.End, Truncated: ev.Truncated}
}

// frDrain returns the events Next yields at now.
func frDrain(f *Framer, now time.Time) []frEv {
	var evs []frEv
	for ev, ok := f.Next(now); ok; ev, ok = f.Next(now) {
		evs = append(evs, frCopy(ev))
	}
	return evs
}

// frFlush returns the events Flush yields.
func frFlush(f *Framer) []frEv {
	var evs []frEv
	for ev, ok := f.Flush(); ok; ev, ok = f.Flush() {
		evs = append(evs, frCopy(ev))
	}
	return evs
}

// frRun writes chunks, draining after each, then flushes; it checks the
// invariants every caller relies on: contiguous ranges and Pending.
func frRun(t testing.TB, cfg FramerConfig, offset int64, chunks ...[]byte) []frEv {
	t.Helper()
	f, err := NewFramer(cfg, offset)
	if err != nil {
		t.Fatal(err)
	}
	var evs []frEv
	now := time.Unix(0, 0)
	written := offset
	for _, c := range chunks {
		f.Write(c)
		written += int64(len(c))
		evs = append(evs, frDrain(f, now)...)
		frCheckPending(t, f, evs, offset, written)
	}
	evs = append(evs, frFlush(f)...)
	frCheckPending(t, f, evs, offset, written)
	if n, _ := f.Pending(); n != 0 {
		t.Fatalf("Pending after Flush = %d bytes, want 0", n)
	}
	return evs
}

// frCheckPending checks that events tile [offset, next) and Pending covers
// the rest of what was written.
func frCheckPending(t testing.TB, f *Framer, evs []frEv, offset, written int64) {
	t.Helper()
	at := offset
	for i, ev := range evs {
		if ev.Offset != at || ev.End <= ev.Offset {
			t.Fatalf("event %d = %v, want it to start at %d and be non-empty; all: %v", i, ev, at, evs)
		}
		at = ev.End
	}
	n, next := f.Pending()
	if next != at || next+int64(n) != written {
		t.Fatalf("Pending() = %d, %d; want next %d and bytes %d", n, next, at, written-at)
	}
}

// frSplits yields the input cut at every byte position, and byte by byte.
func frSplits(in []byte) [][][]byte {
	var out [][][]byte
	for i := 0; i <= len(in); i++ {
		out = append(out, [][]byte{in[:i], in[i:]})
	}
	var bytewise [][]byte
	for i := range in {
		bytewise = append(bytewise, in[i:i+1])
	}
	return append(out, bytewise)
}

func TestFramerLines(t *testing.T) {
	long := strings.Repeat("x", 20)
	tests := []struct {
		name   string
		limit  int
		offset int64
		in     string
		want   []frEv
	}{
		{"lines", 0, 0, "a\nbc\n", []frEv{{"a", 0, 2, false}, {"bc", 2, 5, false}}},
		{"start offset", 0, 1000, "a\nbc\n", []frEv{{"a", 1000, 1002, false}, {"bc", 1002, 1005, false}}},
		{"crlf", 0, 0, "a\r\nbc\r\n", []frEv{{"a", 0, 3, false}, {"bc", 3, 7, false}}},
		{"cr not before lf kept", 0, 0, "a\rb\n\r\r\n", []frEv{{"a\rb", 0, 4, false}, {"\r", 4, 7, false}}},
		{"empty lines", 0, 0, "\n\r\n\nx\n", []frEv{{"", 0, 1, false}, {"", 1, 3, false}, {"", 3, 4, false}, {"x", 4, 6, false}}},
		{"last line without lf flushed", 0, 0, "a\nbc", []frEv{{"a", 0, 2, false}, {"bc", 2, 4, false}}},
		{"last line cr kept without lf", 0, 0, "a\r", []frEv{{"a\r", 0, 2, false}}},
		{"nul kept", 0, 0, "a\x00b\n\x00\n", []frEv{{"a\x00b", 0, 4, false}, {"\x00", 4, 6, false}}},
		{"invalid utf-8 replaced", 0, 0, "a\xff\xfeb\xc3\n\xe4\xb8\n", []frEv{{"a\uFFFDb\uFFFD", 0, 6, false}, {"\uFFFD", 6, 9, false}}},
		{"valid multibyte kept", 0, 0, "中文\n", []frEv{{"中文", 0, 7, false}}},
		{"over-long line truncated", 8, 0, long + "\nok\n", []frEv{{"xxxxxxxx", 0, 21, true}, {"ok", 21, 24, false}}},
		{"over-long crlf line truncated", 8, 0, long + "\r\nok\r\n", []frEv{{"xxxxxxxx", 0, 22, true}, {"ok", 22, 26, false}}},
		{"limit bytes plus crlf not truncated", 8, 0, "12345678\r\n123456789\n", []frEv{{"12345678", 0, 10, false}, {"12345678", 10, 20, true}}},
		{"limit bytes plus cr then byte", 8, 0, "12345678\rx\n", []frEv{{"12345678", 0, 11, true}}},
		{"cut keeps whole characters", 8, 0, "abcdef中文\n", []frEv{{"abcdef", 0, 13, true}}},
		{"replacement never exceeds limit", 4, 0, "a\xff\xfe\xfd\xfcb\xfa\n", []frEv{{"a\uFFFD", 0, 8, true}}},
		{"over-long last line flushed", 8, 0, "ok\n" + long, []frEv{{"ok", 0, 3, false}, {"xxxxxxxx", 3, 23, true}}},
		{"limit 1", 1, 0, "ab\n\nc\n", []frEv{{"a", 0, 3, true}, {"", 3, 4, false}, {"c", 4, 6, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunks := range frSplits([]byte(tt.in)) {
				got := frRun(t, FramerConfig{MaxLineBytes: tt.limit}, tt.offset, chunks...)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, tt.want)
				}
			}
		})
	}
}

func TestFramerPartialLineWaitsForLF(t *testing.T) {
	f, err := NewFramer(FramerConfig{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, 0)
	f.Write([]byte("one\ntw"))
	if got := frDrain(f, now); !slices.Equal(got, []frEv{{"one", 10, 14, false}}) {
		t.Fatalf("got %v", got)
	}
	if n, next := f.Pending(); n != 2 || next != 14 {
		t.Fatalf("Pending() = %d, %d; want 2, 14", n, next)
	}
	f.Write([]byte("o"))
	if got := frDrain(f, now); got != nil {
		t.Fatalf("partial line returned early: %v", got)
	}
	f.Write([]byte("\r\n"))
	if got := frDrain(f, now); !slices.Equal(got, []frEv{{"two", 14, 19, false}}) {
		t.Fatalf("got %v", got)
	}
	if n, next := f.Pending(); n != 0 || next != 19 {
		t.Fatalf("Pending() = %d, %d; want 0, 19", n, next)
	}
	if ev, ok := f.Flush(); ok {
		t.Fatalf("Flush with nothing pending returned %v", frCopy(ev))
	}
}

// TestFramerLongLineBounded feeds one huge line in small writes, without
// draining in between as a careless caller might, and checks the framer
// never buffers much more than MaxLineBytes of it.
func TestFramerLongLineBounded(t *testing.T) {
	const limit, chunk, size = 64, 7, 100_000
	f, err := NewFramer(FramerConfig{MaxLineBytes: limit}, 0)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("y"), size)
	for p := line; len(p) > 0; p = p[min(chunk, len(p)):] {
		f.Write(p[:min(chunk, len(p))])
		if len(f.buf) > limit+1+chunk || cap(f.buf) > 4*(limit+chunk) {
			t.Fatalf("buffer holds %d bytes (cap %d) of an over-long line", len(f.buf), cap(f.buf))
		}
	}
	if n, next := f.Pending(); n != size || next != 0 {
		t.Fatalf("Pending() = %d, %d; want %d, 0", n, next, size)
	}
	f.Write([]byte("\nnext\n"))
	want := []frEv{{strings.Repeat("y", limit), 0, size + 1, true}, {"next", size + 1, size + 6, false}}
	if got := frDrain(f, time.Time{}); !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestFramerEncodings(t *testing.T) {
	gbk := func(s string) string {
		b, err := simplifiedchinese.GBK.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	gb18030 := func(s string) string {
		b, err := simplifiedchinese.GB18030.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	l1, l2 := int64(len(gbk("中文日志 a\r\n"))), int64(len(gbk("第二行\n")))
	emoji := int64(len(gb18030("😀\n")))
	tests := []struct {
		name, encoding string
		limit          int
		in             string
		want           []frEv
	}{
		{"gbk", "gbk", 0, gbk("中文日志 a\r\n") + gbk("第二行\n"),
			[]frEv{{"中文日志 a", 0, l1, false}, {"第二行", l1, l1 + l2, false}}},
		{"GBK upper case", "GBK", 0, gbk("中文\n"), []frEv{{"中文", 0, 5, false}}},
		{"gbk cut drops split character", "gbk", 5, gbk("ab中文\n"), []frEv{{"ab中", 0, 7, true}}},
		{"gbk output capped at limit", "gbk", 4, gbk("中文\n"), []frEv{{"中", 0, 5, true}}},
		{"gbk invalid byte", "gbk", 0, "a\xffb\n", []frEv{{"a\uFFFDb", 0, 4, false}}},
		{"gbk truncated last character flushed", "gbk", 0, "a\xd6", []frEv{{"a\uFFFD", 0, 2, false}}},
		{"gb18030 four-byte", "gb18030", 0, gb18030("😀\n") + gb18030("日志\n"),
			[]frEv{{"😀", 0, emoji, false}, {"日志", emoji, emoji + 5, false}}},
		{"utf8 alias", "UTF8", 0, "é\n", []frEv{{"é", 0, 3, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunks := range frSplits([]byte(tt.in)) {
				got := frRun(t, FramerConfig{Encoding: tt.encoding, MaxLineBytes: tt.limit}, 0, chunks...)
				if !slices.Equal(got, tt.want) {
					t.Fatalf("chunks %q:\ngot  %v\nwant %v", chunks, got, tt.want)
				}
			}
		})
	}
}

func TestNewFramerErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  FramerConfig
		want string
	}{
		{"unknown encoding", FramerConfig{Encoding: "latin1"}, `unknown encoding "latin1"`},
		{"negative limit", FramerConfig{MaxLineBytes: -1}, "max_line_bytes:"},
		{"bad multiline", FramerConfig{Multiline: &Multiline{Pattern: "(", Match: "after"}}, "multiline.pattern:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewFramer(tt.cfg, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewFramer() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestUTF8Helpers(t *testing.T) {
	for _, s := range []string{"", "abc", "a\xffb", "\xff\xfe", "\xe4\xb8", "中\xe4\xb8文", "\uFFFD\xff", "\xed\xa0\x80"} {
		if got, want := string(appendValidUTF8([]byte("p:"), []byte(s))), "p:"+strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Errorf("appendValidUTF8(%q) = %q, want %q", s, got, want)
		}
	}
	trims := map[string]string{"": "", "ab": "ab", "a\xe4\xb8": "a", "a\xe4": "a", "中": "中", "a\xf0\x9f\x98": "a", "a\xff": "a\xff", "\x80\x80\x80\x80\x80": "\x80\x80\x80\x80\x80"}
	for in, want := range trims {
		if got := string(trimPartialRune([]byte(in))); got != want {
			t.Errorf("trimPartialRune(%q) = %q, want %q", in, got, want)
		}
	}
}

// frRandomInput makes lines likely to hit every edge: CRs, empty lines,
// invalid and multibyte UTF-8, NULs and lines around limit bytes.
func frRandomInput(r *rand.Rand, limit int) []byte {
	alphabet := []string{"a", "b", "\n", "\r", "\r\n", "\x00", "\xff", "中", "\xe4\xb8", " ", "[", "\\"}
	var b []byte
	for n := r.IntN(4 * limit); len(b) < n; {
		b = append(b, alphabet[r.IntN(len(alphabet))]...)
	}
	return b
}

// frRandomChunks cuts b at random points.
func frRandomChunks(r *rand.Rand, b []byte) [][]byte {
	var chunks [][]byte
	for len(b) > 0 {
		n := min(1+r.IntN(12), len(b))
		chunks = append(chunks, b[:n])
		b = b[n:]
	}
	return chunks
}

// frReference frames in the obvious way, all at once.
func frReference(in []byte, offset int64, limit int) []frEv {
	var evs []frEv
	for len(in) > 0 {
		line, n := in, len(in)
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, n = bytes.TrimSuffix(in[:i], []byte("\r")), i+1
		}
		cut := len(line) > limit
		if cut {
			line = trimPartialRune(line[:limit])
		}
		data := []byte(strings.ToValidUTF8(string(line), "\uFFFD"))
		if len(data) > limit {
			data, cut = capUTF8(data, limit), true
		}
		evs = append(evs, frEv{string(data), offset, offset + int64(n), cut})
		in, offset = in[n:], offset+int64(n)
	}
	return evs
}

func TestFramerRandomMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		limit := 1 + r.IntN(16)
		in := frRandomInput(r, limit)
		got := frRun(t, FramerConfig{MaxLineBytes: limit}, int64(i), frRandomChunks(r, in)...)
		if want := frReference(in, int64(i), limit); !slices.Equal(got, want) {
			t.Fatalf("input %q limit %d:\ngot  %v\nwant %v", in, limit, got, want)
		}
	}
}

func TestFramerRandomMultilineContiguous(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	modes := []*Multiline{
		{Pattern: `^[[:space:]]`, Match: "after", MaxLines: 3},
		{Pattern: `^\[`, Negate: true, Match: "after"},
		{Pattern: `\\$`, Match: "before", MaxLines: 2},
	}
	for i := range 2000 {
		limit := 1 + r.IntN(16)
		in := frRandomInput(r, limit)
		ml := modes[i%len(modes)]
		cfg := FramerConfig{MaxLineBytes: limit, Multiline: ml}
		for _, ev := range frRun(t, cfg, 7, frRandomChunks(r, in)...) {
			if len(ev.Data) > limit || !utf8.ValidString(ev.Data) {
				t.Fatalf("input %q limit %d: bad event %v", in, limit, ev)
			}
		}
		// Without a byte limit the events must group lines as Filebeat does.
		cfg.MaxLineBytes = 1 << 20
		got := frRun(t, cfg, 7, frRandomChunks(r, in)...)
		if want := mlReference(frReference(in, 7, 1<<20), ml); !slices.Equal(got, want) {
			t.Fatalf("input %q %+v:\ngot  %v\nwant %v", in, *ml, got, want)
		}
	}
}

// mlReference groups single-line events by Filebeat's rules.
func mlReference(lines []frEv, m *Multiline) []frEv {
	re := regexp.MustCompile(m.Pattern)
	var evs []frEv
	n, joinNext := 0, false // lines in the last event; "before": next line joins it
	for _, l := range lines {
		matched := re.MatchString(l.Data) != m.Negate
		join := len(evs) > 0 && (m.Match == "after" && matched || m.Match == "before" && joinNext)
		joinNext = matched
		if !join {
			evs, n = append(evs, l), 1
			continue
		}
		ev := &evs[len(evs)-1]
		ev.End = l.End
		if n == cmp.Or(m.MaxLines, DefaultMultilineMaxLines) {
			ev.Truncated = true
			continue
		}
		ev.Data += "\n" + l.Data
		n++
	}
	return evs
}

// FuzzFramer checks, for any bytes and chunking, that events tile the input
// exactly and their Data is valid UTF-8 within MaxLineBytes.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("a\r\nb\n\nc"), uint8(4), uint8(3), uint8(0))
	f.Add([]byte("x\n at\n at\ny\n"), uint8(8), uint8(1), uint8(1))
	f.Add([]byte("a\\\nb\nc\\\n"), uint8(2), uint8(5), uint8(3))
	f.Add([]byte("\xd6\xd0\xce\xc4\n\xff"), uint8(3), uint8(2), uint8(4))
	f.Fuzz(func(t *testing.T, in []byte, limit, chunk, mode uint8) {
		cfg := FramerConfig{MaxLineBytes: 1 + int(limit)}
		switch mode % 5 {
		case 1:
			cfg.Multiline = &Multiline{Pattern: `^[[:space:]]`, Match: "after", MaxLines: 2}
		case 2:
			cfg.Multiline = &Multiline{Pattern: `^\[`, Negate: true, Match: "after"}
		case 3:
			cfg.Multiline = &Multiline{Pattern: `\\$`, Match: "before"}
		case 4:
			cfg.Encoding = "gb18030"
		}
		var chunks [][]byte
		for p := in; len(p) > 0; p = p[min(1+int(chunk), len(p)):] {
			chunks = append(chunks, p[:min(1+int(chunk), len(p))])
		}
		evs := frRun(t, cfg, 0, chunks...) // checks the tiling
		if len(in) > 0 && evs[len(evs)-1].End != int64(len(in)) {
			t.Fatalf("events end at %d, input is %d bytes", evs[len(evs)-1].End, len(in))
		}
		for _, ev := range evs {
			if len(ev.Data) > cfg.MaxLineBytes || !utf8.ValidString(ev.Data) {
				t.Fatalf("bad event %v", ev)
			}
		}
	})
}

func BenchmarkFramerPlain(b *testing.B) { benchFramer(b, 64<<10, false) }

// BenchmarkFramerReadCycle is a followed file's cycle: a read's chunk
// framed, then the end-of-file wait's Shrink. The buffer comes from a pool
// (frameBufs): before it, every cycle grew a new one (B/op ≈ 2× the chunk).
func BenchmarkFramerReadCycle(b *testing.B) { benchFramer(b, 128<<10, true) }

// benchFramer frames chunks of ~size bytes of 250-byte lines, shrinking
// the framer after each when shrink is set.
func benchFramer(b *testing.B, size int, shrink bool) {
	line := strings.Repeat("2024-05-01T12:00:00Z INFO request served path=/api/v1/items status=200 ", 4)[:249] + "\n"
	chunk := []byte(strings.Repeat(line, size/len(line)+1)[:size])
	f, err := NewFramer(FramerConfig{}, 0)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		f.Write(chunk)
		for _, ok := f.Next(now); ok; _, ok = f.Next(now) {
		}
		if shrink {
			f.Shrink()
		}
	}
}

// TestFramerShrinkKeepsPendingBytes: an idle framer gives back its large
// buffer but keeps the incomplete last line, which the next write completes.
func TestFramerShrinkKeepsPendingBytes(t *testing.T) {
	fr, err := NewFramer(FramerConfig{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	chunk := append(bytes.Repeat([]byte("0123456789abcde\n"), 8192), "partial"...)
	fr.Write(chunk)
	n := 0
	for _, ok := fr.Next(time.Now()); ok; _, ok = fr.Next(time.Now()) {
		n++
	}
	fr.Shrink()
	if cap(fr.buf) > shrinkKeep {
		t.Errorf("buffer of %d bytes kept after shrink", cap(fr.buf))
	}
	fr.Write([]byte(" line\n"))
	ev, ok := fr.Next(time.Now())
	if n != 8192 || !ok || string(ev.Data) != "partial line" || ev.Offset != 100+int64(len(chunk))-7 {
		t.Fatalf("after %d lines, shrink and write: %q at %d (ok=%v)", n, ev.Data, ev.Offset, ok)
	}
}

func TestPollBackoff(t *testing.T) {
	for idle, want := range []time.Duration{250, 500, 1000, 2000, 4000, 5000, 5000} {
		if got := pollBackoff(250*time.Millisecond, 5*time.Second, idle); got != want*time.Millisecond {
			t.Errorf("idle %d: %s, want %s", idle, got, want*time.Millisecond)
		}
	}
	if got := pollBackoff(time.Second, 0, 3); got != time.Second {
		t.Errorf("limit below base: %s", got)
	}
}

// TestFramerRewindRepeatsTheRefusedEvent: a reader that refuses events at
// random, rewinds to each refused one and writes the input again from its
// offset (as a harvester that yields) takes the same events as one that
// took them all, for single lines and multiline events alike.
func TestFramerRewindRepeatsTheRefusedEvent(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	modes := []*Multiline{nil,
		{Pattern: `^[[:space:]]`, Match: "after", MaxLines: 3},
		{Pattern: `\\$`, Match: "before", MaxLines: 2},
	}
	now := time.Unix(0, 0)
	for i := range 1000 {
		limit := 1 + r.IntN(16)
		in := frRandomInput(r, limit)
		cfg := FramerConfig{MaxLineBytes: limit, Multiline: modes[i%len(modes)]}
		want := frRun(t, cfg, 3, in)
		f, err := NewFramer(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []frEv
		at, rewinds := int64(3), 0 // the offset the next write starts at
		for {
			chunk := in[at-3 : min(at-3+1+int64(r.IntN(8)), int64(len(in)))]
			f.Write(chunk)
			at += int64(len(chunk))
			final := at == 3+int64(len(in))
			next := func() (Event, bool) { return f.Next(now) }
			if final {
				next = f.Flush
			}
			for ev, ok := next(); ok; ev, ok = next() {
				if r.IntN(3) == 0 && rewinds < 100 {
					f.Rewind(ev.Offset)
					at, rewinds = ev.Offset, rewinds+1
					break
				}
				got = append(got, frCopy(ev))
			}
			if final && at == 3+int64(len(in)) {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("input %q %+v after %d rewinds:\ngot  %v\nwant %v", in, cfg, rewinds, got, want)
		}
	}
}

// TestFramerBufferTiers: a small chunk goes into a small pooled buffer, a
// large one into a large buffer, and a line split across the move between
// them arrives whole.
func TestFramerBufferTiers(t *testing.T) {
	f, err := NewFramer(FramerConfig{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("s", 99) + "\n"
	small := strings.Repeat(line, 200) + "split line starts here"
	f.Write([]byte(small))
	if got := cap(f.buf); got != smallFrameBufSize {
		t.Fatalf("a %d-byte chunk grew the buffer to %d bytes, want the small pooled %d", len(small), got, smallFrameBufSize)
	}
	now := time.Now()
	var lines []string
	for ev, ok := f.Next(now); ok; ev, ok = f.Next(now) {
		lines = append(lines, string(ev.Data))
	}
	large := " and ends here\n" + strings.Repeat(line, 1000)
	f.Write([]byte(large))
	if got := cap(f.buf); got != frameBufSize {
		t.Fatalf("a %d-byte chunk after a small one: buffer of %d bytes, want the large pooled %d", len(large), got, frameBufSize)
	}
	for ev, ok := f.Next(now); ok; ev, ok = f.Next(now) {
		lines = append(lines, string(ev.Data))
	}
	if len(lines) != 1201 || lines[200] != "split line starts here and ends here" {
		t.Fatalf("%d lines, line 200 %q", len(lines), lines[min(200, len(lines)-1)])
	}
	f.Shrink()
	if cap(f.buf) > shrinkKeep {
		t.Fatalf("an idle framer keeps %d bytes", cap(f.buf))
	}
}
