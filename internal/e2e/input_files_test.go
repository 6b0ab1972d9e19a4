//go:build linux

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// badInput is one row of TestBadInput: files written before the agent
// sees them and, for each, the exact message each of its lines must be
// indexed as.
type badInput struct {
	name  string
	files map[string][]string
	// rejectKey, for a task the agent must refuse: its etcd key and a
	// fragment its reason must hold.
	rejectKey, rejectReason string
	skip                    string   // why the row could not run here
	notes, problems         []string // what was seen; problems fail the test
}

func (in *badInput) note(format string, args ...any) {
	in.notes = append(in.notes, fmt.Sprintf(format, args...))
}

func (in *badInput) problem(format string, args ...any) {
	in.problems = append(in.problems, fmt.Sprintf(format, args...))
}

// defect notes a known product defect; it fails the test only under
// CHAOS_DEFECTS=1, as the chaos suite's skipped scenarios run.
func (in *badInput) defect(format string, args ...any) {
	msg := "DEFECT: " + fmt.Sprintf(format, args...)
	if os.Getenv("CHAOS_DEFECTS") == "1" {
		in.problem("%s", msg)
	} else {
		in.note("%s", msg)
	}
}

// Shapes of the inputs (see writeInputs).
const (
	inputMaxLine = 64 << 10 // the edge task's max_line_bytes
	bigLineBytes = 10 << 20
	manyFiles    = 2000
	manyLines    = 5
)

// writeFile writes lines (each ending as given) to path, failing the test
// on error.
func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
}

// writeInputs writes the files of the file inputs under logs/edge (task
// "edge", max_line_bytes inputMaxLine), logs/gbk (task "gbk", encoding
// gbk) and logs/many (task "many").
func writeInputs(t *testing.T, logs string) []*badInput {
	edge := func(name string) string { return filepath.Join(logs, "edge", name) }
	var ins []*badInput

	big := "long: big " + strings.Repeat("x", bigLineBytes)
	writeFile(t, edge("long.log"), "long: before\n"+big+"\nlong: after\n")
	ins = append(ins, &badInput{name: "10 MB line", files: map[string][]string{
		edge("long.log"): {"long: before", big[:inputMaxLine], "long: after"}}})

	nul := []string{"nul: a\x00b", "nul: \x00\x00 two", "nul: end\x00"}
	writeFile(t, edge("nul.log"), strings.Join(nul, "\n")+"\n")
	ins = append(ins, &badInput{name: "NUL bytes", files: map[string][]string{edge("nul.log"): nul}})

	bad := []string{"utf8: bad \xff\xfe end", "utf8: cut \xe4\xb8", "utf8: lone \x80 cont", "utf8: valid 中文 ok"}
	var fixed []string
	for _, l := range bad {
		fixed = append(fixed, strings.ToValidUTF8(l, "\uFFFD"))
	}
	writeFile(t, edge("utf8.log"), strings.Join(bad, "\n")+"\n")
	ins = append(ins, &badInput{name: "invalid UTF-8", files: map[string][]string{edge("utf8.log"): fixed}})

	writeFile(t, edge("crlf.log"), "crlf: one\r\ncrlf: mid\rcr\r\ncrlf: lf only\ncrlf: last\r\n")
	ins = append(ins, &badInput{name: "CRLF endings", files: map[string][]string{
		edge("crlf.log"): {"crlf: one", "crlf: mid\rcr", "crlf: lf only", "crlf: last"}}})

	chinese := []string{"中文日志 第1行：订单已支付，金额12.50元", "错误：数据库连接超时（重试3次）", "用户「张三」登录成功"}
	var gbk strings.Builder
	for _, l := range chinese {
		enc, err := simplifiedchinese.GBK.NewEncoder().String(l)
		if err != nil {
			t.Fatalf("encoding %q as GBK: %v", l, err)
		}
		gbk.WriteString(enc + "\n")
	}
	writeFile(t, filepath.Join(logs, "gbk", "gbk.log"), gbk.String())
	ins = append(ins, &badInput{name: "GBK file", files: map[string][]string{filepath.Join(logs, "gbk", "gbk.log"): chinese}})

	writeFile(t, edge("empty.log"), "")
	ins = append(ins, &badInput{name: "empty file", files: map[string][]string{edge("empty.log"): nil}})

	many := &badInput{name: fmt.Sprintf("%d files, one glob", manyFiles), files: map[string][]string{}}
	for f := range manyFiles {
		p := filepath.Join(logs, "many", fmt.Sprintf("m-%04d.log", f))
		var b strings.Builder
		for l := range manyLines {
			line := fmt.Sprintf("many: file=%04d line=%d", f, l)
			many.files[p] = append(many.files[p], line)
			b.WriteString(line + "\n")
		}
		writeFile(t, p, b.String())
	}
	ins = append(ins, many)
	return append(ins, unreadableInput(t, edge("unreadable.log")))
}

// unreadableInput writes a file the agent cannot open (mode 000), unless
// this process is privileged, where mode bits deny nothing: then the row
// is skipped with the reason, and the file not written.
func unreadableInput(t *testing.T, path string) *badInput {
	in := &badInput{name: "unreadable file (000)"}
	lines := []string{"unreadable: one", "unreadable: two"}
	writeFile(t, path, strings.Join(lines, "\n")+"\n")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(path); err == nil {
		f.Close()
		in.skip = fmt.Sprintf("skipped: running as uid %d, mode 000 does not deny this process (CAP_DAC_OVERRIDE), so the agent (same user) can read it", os.Geteuid())
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		return in
	}
	in.files = map[string][]string{path: lines}
	return in
}

// rejectedInputs are task values the agent must refuse, each under its own
// key, with a fragment of the reason. outside is a directory outside
// allowed_paths holding a file, escape a symlink under logs to it.
func rejectedInputs(logs, outside, escape string) []*badInput {
	return []*badInput{
		{name: "malformed task JSON", rejectKey: "malformed", rejectReason: "invalid JSON",
			files: map[string][]string{}},
		{name: "unknown task field", rejectKey: "typo", rejectReason: `unknown field "multline"`,
			files: map[string][]string{}},
		{name: "path outside allowed", rejectKey: "outside", rejectReason: "outside allowed_paths",
			files: map[string][]string{filepath.Join(outside, "secret.log"): nil}},
		{name: "symlink escaping allowed", rejectKey: "symlink", rejectReason: "resolves to",
			files: map[string][]string{filepath.Join(escape, "secret.log"): nil}},
	}
}

// rejectedValues are the etcd values of rejectedInputs, by task name.
func rejectedValues(logs, outside, escape string) map[string]string {
	return map[string]string{
		"malformed": `{"path":"` + filepath.Join(logs, "edge", "*.log") + `","topic":`,
		"typo":      `{"path":"` + filepath.Join(logs, "edge", "*.log") + `","topic":"input","multline":{"pattern":"^x"}}`,
		"outside":   `{"path":"` + filepath.Join(outside, "*.log") + `","topic":"input"}`,
		"symlink":   `{"path":"` + filepath.Join(escape, "*.log") + `","topic":"input"}`,
	}
}
