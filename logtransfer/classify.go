package logtransfer

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/olivere/elastic/v7"
)

// verdict is what the transfer does with one bulk item's answer: the single
// place where Elasticsearch errors are sorted into kinds.
type verdict int

const (
	// indexed: 200/201, the document exists now.
	indexed verdict = iota
	// exists: 409, the document already existed (a re-delivery).
	exists
	// retry: a transient failure of the cluster (429 rejected execution,
	// 5xx, an item missing from the answer). The bulk worker sends the item
	// again with backoff; its route is waiting.
	retry
	// divert: the document itself is refused; it goes to the dead-letter
	// topic and its offset may be committed.
	divert
	// stall: the index refuses writes until an operator acts. The item goes
	// back to its route, which holds it (and its offsets) and probes the
	// index slowly; its route is failing and no other route is held up.
	stall
)

// indexLevel are error types about the target index rather than the
// document, whatever status carries them: a blocked index (403, or 429 for
// the disk flood-stage block since Elasticsearch 7.4), a closed one (400),
// a missing one with auto-creation off (404), missing privileges.
var indexLevel = map[string]bool{
	"cluster_block_exception":      true,
	"index_closed_exception":       true,
	"index_not_found_exception":    true,
	"invalid_index_name_exception": true,
	"security_exception":           true,
}

// classify sorts one bulk item's answer.
//
// Document-level rejections are 400s whose type is about the document:
// mapper_parsing_exception, strict_dynamic_mapping_exception,
// document_parsing_exception, illegal_argument_exception on a field value.
// NOTE: "Limit of total fields [N] has been exceeded" is an
// illegal_argument_exception too, and is diverted on purpose: only the
// documents bringing new fields fail, the rest of the route still indexes,
// and the diverted ones can be replayed once the limit is raised — a stall
// would stop a route with dynamic keys for a single odd record.
//
// The type decides before the status: index_closed_exception is a 400 but
// no fault of the document, and the flood-stage block is a 429 that no
// quick retry cures. Any other 4xx is an operator's matter (stall).
func classify(status int, e *elastic.ErrorDetails) verdict {
	if e != nil && indexLevel[e.Type] {
		return stall
	}
	switch {
	case status == http.StatusOK || status == http.StatusCreated:
		return indexed
	case status == http.StatusConflict:
		return exists
	case status == http.StatusBadRequest:
		return divert
	case status == http.StatusTooManyRequests || status >= 500 || status == 0:
		return retry
	default:
		return stall
	}
}

// itemReason is "<error type>: <reason>", stable across items of the same
// cause (the index name is in Elasticsearch's reason, no id or offset), so
// it keys the route's log rate limit.
func itemReason(status int, e *elastic.ErrorDetails) string {
	if e == nil {
		return "status " + strconv.Itoa(status)
	}
	if e.Index != "" && !strings.Contains(e.Reason, e.Index) {
		return e.Type + ": " + e.Reason + " (index [" + e.Index + "])"
	}
	return e.Type + ": " + e.Reason
}
