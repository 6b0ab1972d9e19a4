package ctl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/logpipe/logpipe/logagent"
)

func TestTaskAddWritesExactJSON(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name, agent string
		args        []string
		want        string
	}{
		{
			name: "mg", agent: "all",
			args: []string{"--path", "/data/openresty/logs/mg_*.log", "--topic", "mglogs"},
			want: `{"path":"/data/openresty/logs/mg_*.log","topic":"mglogs"}`,
		},
		{
			name: "java", agent: "web-1",
			args: []string{"--path", "/data/app/*.log", "--topic", "app", "--exclude", "*.gz", "--exclude", "debug-*",
				"--from", "end", "--fields", "env=prod,dc=idc1", "--multiline-pattern", `^\d{4}-`, "--multiline-negate",
				"--multiline-match", "after", "--encoding", "gbk", "--max-line-bytes", "65536"},
			want: `{"path":"/data/app/*.log","topic":"app","exclude":["*.gz","debug-*"],"from":"end",` +
				`"multiline":{"pattern":"^\\d{4}-","negate":true,"match":"after","max_lines":0,"timeout":"0s"},` +
				`"max_line_bytes":65536,"encoding":"gbk","fields":{"dc":"idc1","env":"prod"}}`,
		},
		{
			name: "nginx", agent: "web-1",
			args: []string{"--json", `{ "topic": "nginx", "path": "/var/log/nginx/access.log" }`},
			want: `{"path":"/var/log/nginx/access.log","topic":"nginx"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := s.ok(append([]string{"task", "add", tt.name, "--agent", tt.agent}, tt.args...)...)
			key := logagent.TaskKey(tt.agent, tt.name)
			mustContain(t, out, "wrote "+key)
			if got := s.get(key); got != tt.want {
				t.Errorf("etcd %s =\n%s\nwant\n%s", key, got, tt.want)
			}
			// What logctl wrote is what the agent accepts.
			task, err := logagent.DecodeTask([]byte(s.get(key)))
			if err == nil {
				err = task.Validate(nil)
			}
			if err != nil {
				t.Errorf("the agent would reject the value: %v", err)
			}
		})
	}

	r := s.run("task", "add", "mg", "--agent", "all", "--path", "/other/*.log", "--topic", "x")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "exists: use --replace") {
		t.Errorf("adding over an existing task: exit %d, stderr %q; want 1 and a hint at --replace", r.code, r.stderr)
	}
	s.ok("task", "add", "mg", "--agent", "all", "--path", "/other/*.log", "--topic", "x", "--replace")
	if got := s.get(logagent.TaskKey("all", "mg")); got != `{"path":"/other/*.log","topic":"x"}` {
		t.Errorf("after --replace: %s", got)
	}
}

func TestTaskAddRefusesBadTasks(t *testing.T) {
	s := newStack(t)
	allowed := t.TempDir()
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	s.assertRefused("task bad", logagent.KeyRoot, []string{"task", "add", "bad", "--agent", "web-1"}, []refusal{
		{"relative path", []string{"--path", "logs/*.log", "--topic", "t"}, `path: "logs/*.log": must be absolute`},
		{"unknown field", []string{"--json", `{"path":"/a/*.log","topic":"t","topik":"x"}`}, `unknown field "topik"`},
		{"bad topic", []string{"--path", "/a/*.log", "--topic", "my topic"}, `topic: "my topic": want 1-249`},
		{"missing topic", []string{"--path", "/a/*.log"}, `topic: "": want`},
		{"outside allowed paths", []string{"--path", "/etc/*.conf", "--topic", "t", "--allowed-paths", allowed}, "outside allowed_paths"},
		{"symlink out of allowed paths", []string{"--path", filepath.Join(allowed, "link", "*.log"), "--topic", "t", "--allowed-paths", allowed}, "resolves to"},
		{"multiline without match", []string{"--path", "/a/*.log", "--topic", "t", "--multiline-pattern", "^x"}, `multiline.match: "" is neither`},
		{"bad encoding", []string{"--path", "/a/*.log", "--topic", "t", "--encoding", "ebcdic"}, "encoding:"},
		{"trailing JSON", []string{"--json", `{"path":"/a/*.log","topic":"t"} {}`}, "trailing data"},
	})
}

func TestTaskUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no agent", []string{"task", "add", "x", "--path", "/a", "--topic", "t"}, "--agent ID"},
		{"no name", []string{"task", "add", "--agent", "all"}, "task add: NAME is required"},
		{"json and flags", []string{"task", "add", "x", "--agent", "all", "--json", "{}", "--topic", "t"}, "--json excludes --topic"},
		{"unknown flag", []string{"task", "add", "x", "--agent", "all", "--topik", "t"}, "flag provided but not defined: -topik"},
		{"unknown command", []string{"task", "edit"}, `task: unknown command "edit"`},
		{"bad output", []string{"-o", "yaml", "task", "ls"}, `-o "yaml": want table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWith(t, nil, tt.args...)
			if r.code != ExitUsage {
				t.Errorf("exit %d, want %d", r.code, ExitUsage)
			}
			mustContain(t, r.stderr, tt.want, "usage: logctl")
		})
	}
	if r := runWith(t, nil, "task", "add", "-h"); r.code != ExitOK || !strings.Contains(r.stderr, "--multiline-pattern") {
		t.Errorf("task add -h: exit %d, usage %q", r.code, r.stderr)
	}
}

func TestTaskGetLsRm(t *testing.T) {
	s := newStack(t)
	s.ok("task", "add", "mg", "--agent", "all", "--path", "/data/mg_*.log", "--topic", "mglogs")
	s.ok("task", "add", "mg", "--agent", "web-1", "--path", "/data/web1/mg_*.log", "--topic", "mglogs")
	s.ok("task", "add", "api", "--agent", "web-2", "--path", "/data/api.log", "--topic", "api")
	s.put(logagent.ClassicKey("web-1"), `[{"path":"/data/old.log","topic":"old"},{"path":"rel.log","topic":"old"}]`)
	s.put(logagent.TaskKey("web-1", "broken"), `{"path":`)

	out := s.ok("task", "ls", "--agent", "web-1")
	mustContain(t, out,
		"AGENT", "NOTE",
		"overridden by /logagent/web-1/tasks/mg",
		"/data/web1/mg_*.log",
		"collect_config[0]", "/data/old.log",
		`collect_config[1]`, `invalid: item 1: path: "rel.log": must be absolute`,
		"broken", "invalid: invalid JSON")
	if strings.Contains(out, "api") {
		t.Errorf("task ls --agent web-1 lists web-2's task:\n%s", out)
	}
	all := s.ok("task", "ls")
	mustContain(t, all, "web-2", "/data/api.log")

	var list []taskEntry
	decodeJSON(t, s.ok("task", "ls", "-o", "json"), &list)
	if len(list) != 6 {
		t.Errorf("task ls -o json: %d entries, want 6: %+v", len(list), list)
	}

	get := s.ok("task", "get", "mg", "--agent", "web-1")
	mustContain(t, get, "# /logagent/web-1/tasks/mg", `"path": "/data/web1/mg_*.log"`)
	var e taskEntry
	decodeJSON(t, s.ok("task", "get", "mg", "--agent", "all", "-o", "json"), &e)
	if e.Task == nil || e.Task.Topic != "mglogs" || e.Agent != "all" || e.Key != logagent.TaskKey("all", "mg") {
		t.Errorf("task get -o json: %+v", e)
	}

	s.ok("task", "rm", "mg", "--agent", "web-1")
	if v := s.get(logagent.TaskKey("web-1", "mg")); v != "" {
		t.Errorf("task rm left %s", v)
	}
	r := s.run("task", "rm", "mg", "--agent", "web-1")
	if r.code != ExitFailure || !strings.Contains(r.stderr, "no key /logagent/web-1/tasks/mg") {
		t.Errorf("removing a missing task: exit %d, %q", r.code, r.stderr)
	}
	if r := s.run("task", "get", "nope", "--agent", "all"); r.code != ExitFailure {
		t.Errorf("get of a missing task: exit %d", r.code)
	}
}

// TestTaskEntriesShowTheAgentsView: logctl decodes a key with the agent's
// own decoder, so it shows what the agent runs: of a collect_config item
// only path and topic (the agent ignores any other field), with the key's
// verdict on every item.
func TestTaskEntriesShowTheAgentsView(t *testing.T) {
	key := logagent.ClassicKey("web-1")
	es := taskEntries("web-1", "", key, 7, []byte(`[{"path":"/data/a.log","topic":"a","encoding":"gbk"},{"path":"b.log","topic":"b"}]`), nil)
	if len(es) != 2 {
		t.Fatalf("%d entries, want 2: %+v", len(es), es)
	}
	if got := *es[0].Task; !reflect.DeepEqual(got, logagent.Task{Path: "/data/a.log", Topic: "a"}) {
		t.Errorf("item 0 shown as %+v, want only the path and topic the agent reads", got)
	}
	for _, e := range es {
		if !strings.Contains(e.Invalid, "item 1") {
			t.Errorf("%s: verdict %q, want the key's refusal for item 1", e.Name, e.Invalid)
		}
	}
	if es := taskEntries("web-1", "", key, 7, []byte(`[]`), nil); len(es) != 0 {
		t.Errorf("an empty collect_config lists %+v", es)
	}
}
