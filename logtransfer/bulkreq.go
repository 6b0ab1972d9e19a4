package logtransfer

import (
	"strings"
)

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

// bulkBody is the NDJSON body of n documents, doc(i) the i-th: each
// one's action line ({"create":…} with its stable _id, so a document
// Elasticsearch already holds answers 409 instead of being written twice)
// and source, both encoded once when the document was built and copied
// here once (golden tests pin it).
func bulkBody(n int, doc func(i int) *document) string {
	size := 0
	for i := range n {
		d := doc(i)
		size += len(d.action) + len(d.Body) + 2
	}
	var b strings.Builder
	b.Grow(size)
	for i := range n {
		d := doc(i)
		b.WriteString(d.action)
		b.WriteByte('\n')
		b.WriteString(d.Body)
		b.WriteByte('\n')
	}
	return b.String()
}
