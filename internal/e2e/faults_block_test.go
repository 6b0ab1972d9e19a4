//go:build linux

package e2e

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/logpipe/logpipe/logtransfer"
)

// blockScenarios are indices that refuse writes (issue 10): the route
// stalls, reports why, commits nothing it did not index, and resumes by
// itself once the operator lifts the block.
var blockScenarios = []scenario{
	{name: "es-index-write-block", fault: func(r *run) {
		indexBlock(r, `{"index.blocks.write":true}`, `{"index.blocks.write":null}`, "FORBIDDEN/8/index write (api)")
	}},
	{name: "es-flood-stage-block", chaosOnly: true, fault: func(r *run) {
		indexBlock(r, `{"index.blocks.read_only_allow_delete":true}`, `{"index.blocks.read_only_allow_delete":null}`,
			"TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark")
	}},
}

// indexBlock sets a block on the route's indices for an outage: the route
// must show failing with Elasticsearch's reason in the transfer's status
// key, index nothing meanwhile, and log the reason a bounded number of
// times; then the block is lifted and the row's oracle checks that every
// line arrived once.
func indexBlock(r *run, block, lift, reason string) {
	r.t.Helper()
	devstack.WaitFor(r.t, time.Minute, "the first documents", func() bool { return r.s.es.Count(indices) > 0 })
	putSettings(r, block)
	cli := devstack.NewEtcdClient(r.t, r.s.etcd)
	var st logtransfer.Status
	devstack.WaitFor(r.t, time.Minute, "the route failing in the status key", func() bool {
		return readStatus(r.t.Context(), cli, logtransfer.StatusKey(transferID), &st) && len(st.Routes) == 1 &&
			st.Routes[0].State == "failing" && strings.Contains(st.Routes[0].Reason, reason)
	})
	held := r.s.es.Count(indices)
	time.Sleep(r.tm.outage)
	if n := r.s.es.Count(indices); n != held {
		r.t.Errorf("%d documents indexed into blocked indices", n-held)
	}
	putSettings(r, lift)
	logs, err := os.ReadFile(r.s.transfer.log)
	if err != nil {
		r.t.Fatal(err)
	}
	// One line per interval (a minute) per reason, with a count.
	if n := bytes.Count(logs, []byte(reason)); n > 3 {
		r.t.Errorf("the transfer logged the block %d times, want at most 3", n)
	}
}

// putSettings updates the settings of the route's indices.
func putSettings(r *run, body string) {
	r.t.Helper()
	if code, resp := devstack.HTTPSend(r.t, http.MethodPut, r.s.es.URL()+"/"+indices+"/_settings", body); code != http.StatusOK {
		r.t.Fatalf("PUT %s/_settings %s: %d %s", indices, body, code, resp)
	}
}
