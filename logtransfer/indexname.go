package logtransfer

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// indexName is a parsed route index: a prefix, an optional date placeholder
// and a suffix.
type indexName struct {
	prefix, suffix string
	layout         string // Go layout of the placeholder; "" when there is none
}

// placeholders maps the supported date placeholders to Go layouts.
var placeholders = map[string]string{"{yyyy.MM.dd}": "2006.01.02", "{yyyy.MM}": "2006.01", "{yyyy}": "2006"}

// parseIndexName checks that every index the name can produce is a valid
// Elasticsearch index name: lower case, none of \ / * ? " < > | , # : or
// space, not starting with - _ +, not . or .., at most 255 bytes.
func parseIndexName(s string) (indexName, error) {
	var n indexName
	rest := s
	if i := strings.IndexByte(s, '{'); i >= 0 {
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return n, errors.New("unclosed {")
		}
		ph := s[i : i+j+1]
		layout, ok := placeholders[ph]
		if !ok {
			return n, fmt.Errorf("unknown placeholder %s: want {yyyy.MM.dd}, {yyyy.MM} or {yyyy}", ph)
		}
		n = indexName{prefix: s[:i], suffix: s[i+j+1:], layout: layout}
		rest = n.prefix + n.suffix
	} else {
		n.prefix = s
	}
	if strings.ContainsAny(rest, "{}") {
		return n, errors.New("at most one date placeholder")
	}
	sample := n.render(time.Date(2006, 12, 31, 0, 0, 0, 0, time.UTC))
	switch {
	case sample == "":
		return n, errors.New("empty")
	case sample == "." || sample == "..":
		return n, errors.New(`must not be "." or ".."`)
	case strings.ToLower(sample) != sample:
		return n, errors.New("must be lower case")
	case strings.ContainsAny(sample, `\/*?"<>|,#: `):
		return n, errors.New(`must not contain \ / * ? " < > | , # : or space`)
	case strings.IndexAny(sample[:1], "-_+") == 0:
		return n, errors.New("must not start with -, _ or +")
	case len(sample) > 255:
		return n, errors.New("longer than 255 bytes")
	}
	return n, nil
}

// render is the index for a document time t (already in the route's zone).
func (n indexName) render(t time.Time) string {
	if n.layout == "" {
		return n.prefix
	}
	return n.prefix + t.Format(n.layout) + n.suffix
}

// pattern is the index pattern covering every index the name produces.
func (n indexName) pattern() string {
	if n.layout == "" {
		return n.prefix
	}
	return n.prefix + "*" + n.suffix
}
