package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
)

// searchPage is the largest page the stand-in (like Elasticsearch) serves
// without scrolling.
const searchPage = 10000

// check is the outcome of comparing the documents with the written lines.
type check struct {
	// Indexed counts the documents read, through the search API or, for
	// those retention dropped first, from the expiry hook.
	Indexed int64
	// Expired counts the documents read from the expiry hook.
	Expired int64
	// Missing counts written lines no document holds with their content.
	Missing int64
	// Duplicates counts documents beyond the first holding a written line
	// (under different ids or in different daily indices: one id cannot
	// repeat in an index, creates of it are refused).
	Duplicates int64
	// Foreign counts documents that match no written line (changed
	// content, or not from the generator).
	Foreign int64
}

// hit is a document a search returned: its _doc sort value and message.
type hit struct {
	seq     int64
	message string
}

// readPage reads up to searchPage documents of index after the _doc sort
// value after (-1: from the first), in _doc order, with search_after (the
// stand-in's _doc sort value is a per-index sequence number).
func readPage(ctx context.Context, esURL, index string, after int64) ([]hit, error) {
	q := map[string]any{"size": searchPage, "sort": []string{"_doc"}, "_source": []string{"message"},
		"search_after": []int64{after}}
	body, _ := json.Marshal(q)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, esURL+path.Join("/", index, "_search"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", index, err)
	}
	var page struct {
		Hits struct {
			Hits []struct {
				Source struct {
					Message string `json:"message"`
				} `json:"_source"`
				Sort []int64 `json:"sort"`
			} `json:"hits"`
		} `json:"hits"`
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", index, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("searching %s: %s: %s", index, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, fmt.Errorf("searching %s: %w", index, err)
	}
	out := make([]hit, 0, len(page.Hits.Hits))
	for _, h := range page.Hits.Hits {
		if len(h.Sort) != 1 {
			return nil, fmt.Errorf("searching %s: a hit sorted on _doc has %d sort values", index, len(h.Sort))
		}
		out = append(out, hit{seq: h.Sort[0], message: h.Source.Message})
	}
	return out, nil
}
