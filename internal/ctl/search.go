package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/olivere/elastic/v7"
)

// hit is one search result: the fields logtransfer writes that a person
// reads first, and the whole document for scripts.
type hit struct {
	Index     string          `json:"index"`
	ID        string          `json:"id"`
	Timestamp string          `json:"@timestamp"`
	Host      string          `json:"host.name"`
	File      string          `json:"log.file.path"`
	Message   string          `json:"message"`
	Source    json.RawMessage `json:"source"`
}

func runSearch(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl search", "QUERY [--index PATTERN] [--since 15m] [--size N]",
		"Searches the indexed lines: QUERY is an Elasticsearch query_string (e.g. 'message:timeout\n"+
			"AND host.name:web-1', or '*'), limited to @timestamp in the last --since, newest first.\n"+
			"Prints time, host.name, log.file.path and message.")
	index := fs.String("index", "*", "index pattern(s), comma-separated, e.g. mglogs-*")
	since := fs.String("since", "15m", "how far back: a duration such as 90s, 15m, 2h or 7d")
	size := fs.Int("size", 20, "number of lines")
	pos, err := c.parse(fs, args, "QUERY")
	if err != nil {
		return err
	}
	gte, err := dateMathAgo(*since)
	if err != nil {
		return usagef(fs, "--since %q: %v", *since, err)
	}
	if *size < 1 || *size > 10000 {
		return usagef(fs, "--size %d: want 1 to 10000", *size)
	}
	client, err := c.esClient()
	if err != nil {
		return err
	}
	defer client.Stop()
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	q := elastic.NewBoolQuery().
		Must(elastic.NewQueryStringQuery(pos[0])).
		Filter(elastic.NewRangeQuery("@timestamp").Gte(gte))
	res, err := client.Search(split(*index)...).
		Query(q).
		SortBy(elastic.NewFieldSort("@timestamp").Desc().UnmappedType("date")).
		Size(*size).
		Do(ctx)
	if err != nil {
		return c.esErr(err)
	}
	hits := []hit{}
	for _, h := range res.Hits.Hits {
		hits = append(hits, newHit(h))
	}
	if c.asJSON {
		return writeJSON(c.stdout, hits)
	}
	t := newTable(c.stdout, "TIME", "HOST", "FILE", "MESSAGE")
	for _, h := range hits {
		t.row(orDash(h.Timestamp), orDash(h.Host), orDash(h.File), h.Message)
	}
	return t.flush()
}

func (c *cli) esErr(err error) error {
	var ne net.Error
	if unreachable(err) || elastic.IsConnErr(err) || errors.As(err, &ne) {
		return fmt.Errorf("elasticsearch %s unreachable: %w", c.conns.esAddr(), err)
	}
	return fmt.Errorf("elasticsearch %s: %w", c.conns.esAddr(), err)
}

// dateMathAgo turns a duration (Go syntax, or whole days "7d") into
// Elasticsearch date math "now-<seconds>s".
func dateMathAgo(s string) (string, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return "", errors.New("want a duration such as 15m, 2h or 7d")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return "", errors.New("want a duration such as 15m, 2h or 7d")
		}
	}
	if d < time.Second {
		return "", errors.New("must be at least 1s")
	}
	return fmt.Sprintf("now-%ds", int64(d/time.Second)), nil
}

func newHit(h *elastic.SearchHit) hit {
	out := hit{Index: h.Index, ID: h.Id, Source: h.Source}
	var src map[string]any
	if json.Unmarshal(h.Source, &src) == nil {
		out.Timestamp = field(src, "@timestamp")
		out.Host = field(src, "host.name")
		out.File = field(src, "log.file.path")
		out.Message = field(src, "message")
	}
	return out
}

// field reads a dotted path from a document, whether it holds objects
// ({"host":{"name":…}}, as logtransfer writes) or dotted keys.
func field(doc map[string]any, path string) string {
	if v, ok := doc[path]; ok {
		return scalar(v)
	}
	head, rest, ok := strings.Cut(path, ".")
	if !ok {
		return ""
	}
	sub, _ := doc[head].(map[string]any)
	if sub == nil {
		return ""
	}
	return field(sub, rest)
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}
