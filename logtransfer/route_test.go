package logtransfer

import (
	"strings"
	"testing"
	"time"

	"github.com/logpipe/logpipe/conf"
)

func TestDecodeRoute(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr string // substring; "" = valid
		index   string // rendered for 2024-03-05 when valid
	}{
		{"minimal", `{"topic":"mglogs"}`, "", "mglogs-2024.03.05"},
		{"upper-case topic lowers default index", `{"topic":"MgLogs"}`, "", "mglogs-2024.03.05"},
		{"monthly", `{"topic":"a","index":"app-{yyyy.MM}"}`, "", "app-2024.03"},
		{"yearly with suffix", `{"topic":"a","index":"app-{yyyy}-x"}`, "", "app-2024-x"},
		{"static index", `{"topic":"a","index":"app"}`, "", "app"},
		{"regex", `{"topic":"a","format":"regex","pattern":"(?P<status>\\d+)"}`, "", "a-2024.03.05"},
		{"json with time", `{"topic":"a","format":"json","time_field":"ts","time_layout":"unix_ms"}`, "", "a-2024.03.05"},
		{"unknown field", `{"topic":"a","indx":"b"}`, `unknown field "indx"`, ""},
		{"trailing data", `{"topic":"a"} {}`, "data after", ""},
		{"not json", `topic=a`, "invalid JSON", ""},
		{"missing topic", `{}`, "topic:", ""},
		{"upper-case index", `{"topic":"a","index":"App"}`, "index: \"App\": must be lower case", ""},
		{"bad placeholder", `{"topic":"a","index":"a-{dd}"}`, "unknown placeholder", ""},
		{"two placeholders", `{"topic":"a","index":"a-{yyyy}-{yyyy}"}`, "at most one", ""},
		{"index starting with _", `{"topic":"a","index":"_a"}`, "must not start", ""},
		{"index with space", `{"topic":"a","index":"a b"}`, "must not contain", ""},
		{"bad format", `{"topic":"a","format":"xml"}`, "format: \"xml\"", ""},
		{"bad regex", `{"topic":"a","format":"regex","pattern":"("}`, "pattern:", ""},
		{"regex without names", `{"topic":"a","format":"regex","pattern":"(\\d+)"}`, "named group", ""},
		{"time field on raw", `{"topic":"a","time_field":"ts"}`, "time_field:", ""},
		{"bad layout", `{"topic":"a","format":"json","time_field":"ts","time_layout":"yesterday"}`, "time_layout:", ""},
		{"negative retention", `{"topic":"a","retention_days":-1}`, "retention_days:", ""},
		{"replicas out of range", `{"topic":"a","replicas":99}`, "replicas:", ""},
	}
	day := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeRoute([]byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("DecodeRoute() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			n, _ := parseIndexName(r.Index)
			if got := n.render(day); got != tt.index {
				t.Errorf("index = %q, want %q", got, tt.index)
			}
		})
	}
}

// TestRouteResolverKeepsLastValid: a bad edit keeps the running version
// and is reported with its key.
func TestRouteResolverKeepsLastValid(t *testing.T) {
	r := newRouteResolver()
	routes, rej := r.resolve(conf.Snapshot{KVs: map[string]string{RouteKey("web"): `{"topic":"web"}`}})
	if len(rej) != 0 || routes["web"].Topic != "web" {
		t.Fatalf("routes %v rejected %v", routes, rej)
	}
	routes, rej = r.resolve(conf.Snapshot{KVs: map[string]string{
		RouteKey("web"): `{"topic":"web","format":"yaml"}`, RouteKey("Bad Name"): `{"topic":"x"}`,
	}})
	if routes["web"].Format != FormatRaw || len(routes) != 1 {
		t.Errorf("last valid version not kept: %v", routes)
	}
	if len(rej) != 2 || rej[0].Key != RouteKey("Bad Name") || !strings.Contains(rej[1].Reason, "format") {
		t.Errorf("rejections = %+v", rej)
	}
}
