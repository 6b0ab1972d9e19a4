package logtransfer

import (
	"encoding/json"
	"strings"

	"github.com/olivere/elastic/v7"
)

// createRequest is the bulk action of d: op_type=create with d's stable
// _id, so a document Elasticsearch already holds answers 409 instead of
// being written twice.
func createRequest(d document) *elastic.BulkCreateRequest {
	return elastic.NewBulkCreateRequest().Index(d.Index).Id(d.ID).Doc(json.RawMessage(d.Body))
}

// bulkBody is the NDJSON body olivere sends for docs (golden tests pin it).
func bulkBody(docs []document) (string, error) {
	var b strings.Builder
	for _, d := range docs {
		lines, err := createRequest(d).Source()
		if err != nil {
			return "", err
		}
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}
