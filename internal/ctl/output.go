package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table collects rows and writes them as aligned columns on flush; cells
// are cleaned of tabs and newlines so a multiline message cannot break the
// layout.
type table struct {
	w    io.Writer
	buf  bytes.Buffer
	tw   *tabwriter.Writer
	rows int // below the header
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 4, 2, ' ', 0)
	t.row(toAny(header)...)
	t.rows = 0
	return t
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

var cellCleaner = strings.NewReplacer("\t", " ", "\r", `\r`, "\n", `\n`)

func (t *table) row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(t.tw, "\t")
		}
		io.WriteString(t.tw, cellCleaner.Replace(fmt.Sprint(c)))
	}
	io.WriteString(t.tw, "\n")
	t.rows++
}

func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	_, err := t.w.Write(t.buf.Bytes())
	return err
}

// writeSections writes the tables that have rows, a blank line between.
func writeSections(w io.Writer, tables ...*table) error {
	sep := false
	for _, t := range tables {
		if t.rows == 0 {
			continue
		}
		if sep {
			fmt.Fprintln(w)
		}
		if err := t.flush(); err != nil {
			return err
		}
		sep = true
	}
	return nil
}

// writeJSON writes v indented, for scripts (-o json).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// bytesIEC formats n bytes for people: 512 B, 1.5 KiB, 3.2 GiB.
func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	f, i := float64(n), -1
	for (f >= unit || f <= -unit) && i < 5 {
		f /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", f, "KMGTPE"[i])
}

// age formats how long ago unix (seconds) was; "-" when unset.
func age(now time.Time, unix int64) string {
	if unix == 0 {
		return "-"
	}
	d := now.Sub(time.Unix(unix, 0)).Truncate(time.Second)
	if d < 0 {
		d = 0
	}
	return d.String() + " ago"
}

// orDash shows an empty cell as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// entry is one etcd value as listed: its key, name, revision and, when the
// daemons would refuse it, why.
type entry struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	Revision int64  `json:"mod_revision"`
	// Raw is the value when it does not decode at all.
	Raw     string `json:"raw,omitempty"`
	Invalid string `json:"invalid,omitempty"`
}

// note is the NOTE column: why the daemons refuse the value, if they do.
func (e entry) note() string {
	if e.Invalid != "" {
		return "invalid: " + e.Invalid
	}
	return ""
}

// showEntry prints one value for people: key, revision, verdict, then the
// value as indented JSON (or as stored when it does not decode).
func showEntry(c *cli, e entry, value any) error {
	fmt.Fprintf(c.stdout, "# %s (mod revision %d)\n", e.Key, e.Revision)
	if e.Invalid != "" {
		fmt.Fprintf(c.stdout, "# %s\n", e.note())
	}
	if e.Raw != "" {
		_, err := fmt.Fprintln(c.stdout, e.Raw)
		return err
	}
	return writeJSON(c.stdout, value)
}

// marshal encodes v compactly without HTML escaping, so a stored pattern
// reads in etcdctl as it was typed (<name>, not \u003cname\u003e).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
