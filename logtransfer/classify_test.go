package logtransfer

import (
	"testing"

	"github.com/olivere/elastic/v7"
)

// TestClassify pins how each Elasticsearch 7 bulk item answer is sorted:
// the error type decides before the status.
func TestClassify(t *testing.T) {
	e := func(typ string) *elastic.ErrorDetails { return &elastic.ErrorDetails{Type: typ, Reason: "r"} }
	for _, tt := range []struct {
		status int
		err    *elastic.ErrorDetails
		want   verdict
	}{
		{201, nil, indexed},
		{200, nil, indexed},
		{409, e("version_conflict_engine_exception"), exists},
		{400, e("mapper_parsing_exception"), divert},
		{400, e("strict_dynamic_mapping_exception"), divert},
		{400, e("document_parsing_exception"), divert},
		{400, e("illegal_argument_exception"), divert}, // a field value, or the total fields limit
		{403, e("cluster_block_exception"), stall},     // index.blocks.write
		{429, e("cluster_block_exception"), stall},     // flood-stage block, Elasticsearch >= 7.4
		{400, e("index_closed_exception"), stall},
		{404, e("index_not_found_exception"), stall}, // auto-creation off
		{403, e("security_exception"), stall},
		{401, nil, stall},
		{429, e("es_rejected_execution_exception"), retry},
		{503, e("unavailable_shards_exception"), retry},
		{500, nil, retry},
	} {
		typ := "<none>"
		if tt.err != nil {
			typ = tt.err.Type
		}
		if got := classify(tt.status, tt.err); got != tt.want {
			t.Errorf("classify(%d, %s) = %d, want %d", tt.status, typ, got, tt.want)
		}
	}
}
