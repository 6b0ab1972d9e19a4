package logagent

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/devstack"
)

// TestStatusKeySmallAndWrittenOnChange: etcd is shared by every agent, so
// an agent with 100 files keeps a status key of at most 16 KB whatever its
// files and hours, and does not rewrite it while nothing changed (the lease
// is kept alive meanwhile); its files and audit line counts are served on
// its HTTP address instead.
//
// Before, the key carried every file and the audit ledger (over 16 KB at
// 100 files) and was re-put every status_interval.
func TestStatusKeySmallAndWrittenOnChange(t *testing.T) {
	e := newEnv(t)
	const files, perFile = 100, 10
	want := map[string][]string{}
	for i := range files {
		tag := fmt.Sprintf("f%03d", i)
		want[tag] = writeLines(t, join(e.logs, "app-"+tag+".log"), tag, 0, perFile)
	}
	e.putTask("agent-1", "app", Task{Path: join(e.logs, "*.log"), Topic: "hundred"})
	cfg := e.config()
	cfg.Agent.StatusInterval = 250 * time.Millisecond
	cfg.Agent.StatusTTL = 2 * time.Second
	a := e.start(cfg)
	verify(t, e.readDistinct("hundred", files*perFile, 30*time.Second), want)

	devstack.WaitFor(t, 10*time.Second, "status: 100 files fully acked", func() bool {
		st, ok := e.status("agent-1")
		return ok && len(st.Tasks) == 1 && st.Tasks[0].OpenFiles == files && st.Tasks[0].LagBytes == 0 && st.InflightB == 0
	})
	kv := e.statusKV("agent-1")
	if n := len(kv.Value); n > 16<<10 {
		t.Errorf("status key is %d bytes with %d files, want at most 16 KiB", n, files)
	}
	t.Logf("status key: %d bytes with %d files", len(kv.Value), files)

	// Unchanged, it is not written again, but its lease is kept alive:
	// after more status rounds than its TTL lasts, the key is still there,
	// at the same revision.
	rounds := a.statusBuilds.Load()
	devstack.WaitFor(t, 10*cfg.Agent.StatusTTL, "status rounds past the lease's TTL", func() bool {
		return a.statusBuilds.Load() >= rounds+int64(cfg.Agent.StatusTTL/cfg.Agent.StatusInterval)+2
	})
	now := e.statusKV("agent-1")
	switch {
	case now == nil:
		t.Fatal("status key gone: its lease was not kept alive")
	case now.ModRevision != kv.ModRevision:
		t.Errorf("unchanged status rewritten: mod revision %d -> %d", kv.ModRevision, now.ModRevision)
	}

	// The bulky parts are on the agent's HTTP address.
	var lc LineCounts
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/status/lines")), &lc); err != nil {
		t.Fatal(err)
	}
	if len(lc.Files) != files {
		t.Errorf("/status/lines lists %d files, want %d", len(lc.Files), files)
	}
	var full Status
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+a.HTTPAddr()+"/status/files")), &full); err != nil {
		t.Fatal(err)
	}
	if len(full.Tasks) != 1 || len(full.Tasks[0].Files) != files {
		t.Errorf("/status/files: %+v", full.Tasks)
	}
}
