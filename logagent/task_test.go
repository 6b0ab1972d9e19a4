package logagent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeAndValidateTask(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		json    string
		allowed []string
		wantErr string
	}{
		{"minimal", `{"path":"/data/logs/mg_*.log","topic":"mglogs"}`, nil, ""},
		{"full", `{"path":"/data/a.log","topic":"a","exclude":["*.gz"],"from":"end","multiline":{"pattern":"^\\s","match":"after"},"max_line_bytes":4096,"encoding":"gbk","fields":{"app":"mg"}}`, nil, ""},
		{"unknown field", `{"path":"/a","topic":"a","topics":"b"}`, nil, `unknown field "topics"`},
		{"trailing data", `{"path":"/a","topic":"a"} {}`, nil, "trailing data"},
		{"relative", `{"path":"logs/*.log","topic":"a"}`, nil, "path: \"logs/*.log\": must be absolute"},
		{"empty path", `{"topic":"a"}`, nil, "path: required"},
		{"bad glob", `{"path":"/a/[","topic":"a"}`, nil, "invalid glob"},
		{"bad topic", `{"path":"/a","topic":"a b"}`, nil, "topic:"},
		{"bad from", `{"path":"/a","topic":"a","from":"middle"}`, nil, "from:"},
		{"bad encoding", `{"path":"/a","topic":"a","encoding":"latin9"}`, nil, "encoding:"},
		{"bad regex", `{"path":"/a","topic":"a","multiline":{"pattern":"(","match":"after"}}`, nil, "multiline.pattern"},
		{"outside allowed", `{"path":"/etc/*.conf","topic":"a"}`, []string{dir}, "outside allowed_paths"},
		{"inside allowed", `{"path":"` + dir + `/x/*.log","topic":"a"}`, []string{dir}, ""},
		{"dotdot escape", `{"path":"` + dir + `/../*.log","topic":"a"}`, []string{dir}, "outside allowed_paths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task, err := DecodeTask([]byte(tt.json))
			if err == nil {
				err = task.Validate(tt.allowed)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestAllowedPathsResolveSymlinks(t *testing.T) {
	allowed, outside := t.TempDir(), t.TempDir()
	link := filepath.Join(allowed, "link")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	if err := checkAllowed(filepath.Join(link, "a.log"), []string{allowed}); err == nil || !strings.Contains(err.Error(), "resolves to") {
		t.Fatalf("symlink escape not refused: %v", err)
	}
	// An allowed dir that is itself reached through a symlink still works.
	if err := checkAllowed(filepath.Join(outside, "a.log"), []string{link}); err != nil {
		t.Fatalf("path under a symlinked allowed dir refused: %v", err)
	}
}

func TestSampleConfigLoads(t *testing.T) {
	c, err := LoadConfig("../conf/logagent.ini")
	if err != nil {
		t.Fatalf("conf/logagent.ini: %v", err)
	}
	if c.Kafka.Acks != "all" || c.Agent.StateDir != "/var/lib/logagent" || len(c.Agent.AllowedPaths) != 2 {
		t.Errorf("unexpected sample values: %+v", c.Agent)
	}
	p := filepath.Join(t.TempDir(), "typo.ini")
	os.WriteFile(p, []byte("[agent]\nstate_dri = /x\n"), 0o600)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "agent.state_dri: unknown key") {
		t.Fatalf("typo in key: %v", err)
	}
}
