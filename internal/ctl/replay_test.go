package ctl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestReplay(t *testing.T) {
	s := newStack(t)
	k := s.withKafka()
	es := s.newES()
	s.ok("route", "add", "mglogs", "--topic", "mglogs", "--index", "mglogs-{yyyy.MM}")
	prod, err := kgo.NewClient(kgo.SeedBrokers(k.Addrs()...), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	for i := range 5 {
		r := &kgo.Record{Topic: "mglogs", Key: []byte("file-1"), Value: []byte(fmt.Sprintf("line %d", i)),
			Headers: []kgo.RecordHeader{{Key: "lp.id", Value: []byte(fmt.Sprintf("file-1-%d", i*7))}}}
		if err := prod.ProduceSync(t.Context(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Now().Add(-time.Hour).Format(time.RFC3339)
	to := time.Now().Add(time.Hour).Format(time.RFC3339)

	out := s.ok("replay", "-route", "mglogs", "-from", from, "-to", to)
	if strings.TrimSpace(out) != "replay: read=5 created=5 duplicates=0 dead_letters=0" {
		t.Errorf("first replay printed %q", out)
	}
	if n := es.Count("mglogs-*"); n != 5 {
		t.Errorf("%d documents indexed, want 5", n)
	}

	// With a configuration file, and again: the same ids collapse.
	ini := filepath.Join(t.TempDir(), "logtransfer.ini")
	cfg := fmt.Sprintf("[transfer]\nstate_dir = %s\n[etcd]\nendpoints = %s\n[kafka]\nbrokers = %s\n[elasticsearch]\nurls = %s\n",
		t.TempDir(), s.env[EnvEtcd], s.env[EnvBrokers], s.env[EnvES])
	if err := os.WriteFile(ini, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out = runWith(t, nil, "replay", "-config", ini, "-route", "mglogs", "-from", from, "-to", to).stdout
	if strings.TrimSpace(out) != "replay: read=5 created=0 duplicates=5 dead_letters=0" {
		t.Errorf("second replay printed %q", out)
	}

	for _, args := range [][]string{
		{"replay", "-route", "mglogs", "-from", "yesterday", "-to", to},
		{"replay", "-from", from, "-to", to},
		{"replay", "-config", filepath.Join(t.TempDir(), "missing.ini"), "-route", "mglogs", "-from", from, "-to", to},
	} {
		if r := s.run(args...); r.code != ExitUsage {
			t.Errorf("logctl %v: exit %d, want %d", args, r.code, ExitUsage)
		}
	}
}
