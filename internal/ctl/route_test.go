package ctl

import (
	"strings"
	"testing"

	"github.com/logpipe/logpipe/logtransfer"
)

func TestRouteAddGetLsRm(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"mglogs", []string{"--topic", "mglogs"}, `{"topic":"mglogs"}`},
		{"nginx", []string{"--topic", "nginx", "--index", "nginx-{yyyy.MM}", "--format", "regex",
			"--pattern", `^(?P<client>\S+) .*" (?P<status>\d{3}) `, "--retention-days", "14", "--replicas", "0"},
			`{"topic":"nginx","index":"nginx-{yyyy.MM}","format":"regex","pattern":"^(?P<client>\\S+) .*\" (?P<status>\\d{3}) ","retention_days":14,"replicas":0}`},
		{"app", []string{"--json", `{"topic":"app","format":"json","time_field":"ts","time_layout":"unix_ms"}`},
			`{"topic":"app","format":"json","time_field":"ts","time_layout":"unix_ms"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ok(append([]string{"route", "add", tt.name}, tt.args...)...)
			got := s.get(logtransfer.RouteKey(tt.name))
			if got != tt.want {
				t.Errorf("etcd value\n%s\nwant\n%s", got, tt.want)
			}
			if _, err := logtransfer.DecodeRoute([]byte(got)); err != nil {
				t.Errorf("logtransfer would reject the value: %v", err)
			}
		})
	}
	s.put(logtransfer.RouteKey("typo"), `{"topic":"x","formt":"json"}`)

	out := s.ok("route", "ls")
	mustContain(t, out, "NAME", "mglogs-{yyyy.MM.dd}", "nginx-{yyyy.MM}", "14d", "typo", `invalid: invalid JSON: json: unknown field "formt"`)
	var list []routeEntry
	decodeJSON(t, s.ok("route", "ls", "-o", "json"), &list)
	if len(list) != 4 || list[0].Name != "app" || list[0].Route.TimeLayout != "unix_ms" {
		t.Errorf("route ls -o json: %+v", list)
	}
	mustContain(t, s.ok("route", "get", "nginx"), "# /logtransfer/routes/nginx", `"retention_days": 14`)

	s.ok("route", "rm", "nginx")
	if v := s.get(logtransfer.RouteKey("nginx")); v != "" {
		t.Errorf("route rm left %s", v)
	}
	if r := s.run("route", "get", "nginx"); r.code != ExitFailure || !strings.Contains(r.stderr, "no key /logtransfer/routes/nginx") {
		t.Errorf("get of a removed route: exit %d, %q", r.code, r.stderr)
	}
}

func TestRouteAddRefusesBadRoutes(t *testing.T) {
	s := newStack(t)
	s.assertRefused("route bad", logtransfer.KeyRoot, []string{"route", "add", "bad"}, []refusal{
		{"bad topic", []string{"--topic", "a/b"}, `topic: "a/b"`},
		{"unknown field", []string{"--json", `{"topic":"t","indx":"x"}`}, `unknown field "indx"`},
		{"regex without groups", []string{"--topic", "t", "--format", "regex", "--pattern", "^a"}, "named group"},
		{"time field on raw", []string{"--topic", "t", "--time-field", "ts"}, "time_field: needs format json or regex"},
		{"bad index", []string{"--topic", "t", "--index", "Logs-{yyyy}"}, "index:"},
		{"bad retention", []string{"--topic", "t", "--retention-days", "-1"}, "retention_days"},
	})
	// A name the daemon would refuse is refused up front too.
	s.assertRefused("route Upper", logtransfer.KeyRoot, []string{"route", "add", "Upper"}, []refusal{
		{"upper-case name", []string{"--topic", "t"}, `route name "Upper"`},
	})
}
