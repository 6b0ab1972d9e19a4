package logtransfer

import (
	"strings"
)

// createRequest is the bulk action of a document: op_type=create with its
// stable _id, so a document Elasticsearch already holds answers 409 instead
// of being written twice. It implements elastic.BulkableRequest with the
// action line and source build encoded once per document: olivere calls
// Source() both to estimate the request size and to write the body, and
// elastic.BulkCreateRequest re-marshalled the action (and copied the
// source) on every attempt.
type createRequest [2]string

func newCreateRequest(d document) createRequest { return createRequest{d.action, d.Body} }

// Source returns the action line and the document source.
func (r *createRequest) Source() ([]string, error) { return r[:], nil }

// String returns the request as it appears in the bulk body.
func (r *createRequest) String() string { return r[0] + "\n" + r[1] }

// appendCreateAction appends the action line elastic.BulkCreateRequest
// writes for index and id: {"create":{"_index":…,"_id":…}}, empty fields
// omitted.
func appendCreateAction(dst []byte, index, id string) []byte {
	dst = append(dst, `{"create":{`...)
	if index != "" {
		dst = append(dst, `"_index":`...)
		dst = appendJSONString(dst, index)
	}
	if id != "" {
		if index != "" {
			dst = append(dst, ',')
		}
		dst = append(dst, `"_id":`...)
		dst = appendJSONString(dst, id)
	}
	return append(dst, "}}"...)
}

// bulkBody is the NDJSON body olivere sends for docs (golden tests pin it).
func bulkBody(docs []document) (string, error) {
	var b strings.Builder
	for _, d := range docs {
		r := newCreateRequest(d)
		lines, err := r.Source()
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
