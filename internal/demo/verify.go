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
	// Indexed counts documents in the demo's indices.
	Indexed int64
	// Missing counts written lines no document holds with their content.
	Missing int64
	// Duplicates counts written lines held by more than one document (under
	// different ids or in different daily indices: one id cannot repeat in
	// an index, creates of it are refused).
	Duplicates int64
	// Foreign counts documents that match no written line (changed
	// content, or not from the generator).
	Foreign int64
}

// verify reads every document of indices through the search API and
// matches each with the line whose sequence number it carries; hashes are
// the generator's hashes by sequence number.
func verify(ctx context.Context, esURL string, indices []string, hashes []uint32) (check, error) {
	var c check
	seen := make([]uint8, len(hashes))
	for _, index := range indices {
		err := eachMessage(ctx, esURL, index, func(msg string) {
			c.Indexed++
			seq, ok := lineSeq(msg)
			ok = ok && seq < int64(len(hashes)) && lineHash(msg) == hashes[seq]
			if !ok {
				c.Foreign++
				return
			}
			if seen[seq] < 255 {
				seen[seq]++
			}
		})
		if err != nil {
			return c, err
		}
	}
	for _, n := range seen {
		switch {
		case n == 0:
			c.Missing++
		case n > 1:
			c.Duplicates++
		}
	}
	return c, nil
}

// eachMessage pages through one index in _doc order with search_after
// (the stand-in's _doc sort value is a per-index sequence number).
func eachMessage(ctx context.Context, esURL, index string, fn func(string)) error {
	var after []any
	for {
		q := map[string]any{"size": searchPage, "sort": []string{"_doc"}, "_source": []string{"message"}}
		if after != nil {
			q["search_after"] = after
		}
		body, _ := json.Marshal(q)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, esURL+path.Join("/", index, "_search"), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("searching %s: %w", index, err)
		}
		var page struct {
			Hits struct {
				Hits []struct {
					Source struct {
						Message string `json:"message"`
					} `json:"_source"`
					Sort []any `json:"sort"`
				} `json:"hits"`
			} `json:"hits"`
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("searching %s: %w", index, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("searching %s: %s: %s", index, resp.Status, raw)
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("searching %s: %w", index, err)
		}
		hits := page.Hits.Hits
		for _, h := range hits {
			fn(h.Source.Message)
		}
		if len(hits) < searchPage {
			return nil
		}
		after = hits[len(hits)-1].Sort
	}
}
