package logtransfer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSampleConfigLoads keeps conf/logtransfer.ini loadable and equal to
// the defaults it claims to show.
func TestSampleConfigLoads(t *testing.T) {
	c, err := LoadConfig(filepath.Join("..", "conf", "logtransfer.ini"))
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if c.Transfer.MaxInflightBytes != d.Transfer.MaxInflightBytes || c.Transfer.CommitInterval != time.Second ||
		c.Elasticsearch.BulkActions != d.Elasticsearch.BulkActions || c.Elasticsearch.BulkBytes != d.Elasticsearch.BulkBytes ||
		c.Elasticsearch.FlushInterval != d.Elasticsearch.FlushInterval || c.HTTP.Listen != DefaultHTTPListen ||
		c.Kafka.Group != "logtransfer" {
		t.Errorf("sample differs from defaults: %+v", c)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.ini")
	ini := "[transfer]\ntimezone = Mars/Olympus\nstate_dir = relative\nretention_warn_fraction = 1.5\n[elasticsearch]\nworkers = 0\nbulk_actionz = 3\n"
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path)
	for _, want := range []string{"elasticsearch.bulk_actionz: unknown key"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig error %v; want it to contain %q", err, want)
		}
	}
	os.WriteFile(path, []byte(strings.ReplaceAll(ini, "bulk_actionz = 3\n", "")), 0o600)
	_, err = LoadConfig(path)
	for _, want := range []string{"transfer.timezone", "transfer.state_dir", "transfer.retention_warn_fraction", "elasticsearch.workers"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig error %v; want it to name %q", err, want)
		}
	}
}
