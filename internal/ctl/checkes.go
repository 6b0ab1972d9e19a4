package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/logpipe/logpipe/conf"
	"github.com/logpipe/logpipe/internal/check"
	"github.com/olivere/elastic/v7"
)

// esSteps returns the check's Elasticsearch steps (check.Plan.ES) for the
// cluster logtransfer writes to.
func esSteps(e conf.Elasticsearch) func(step check.Step, n check.Needs, timeout time.Duration) {
	return func(step check.Step, n check.Needs, timeout time.Duration) {
		e.Timeout = timeout
		checkES(step, n, e)
	}
}

// checkES checks the cluster e.
func checkES(step check.Step, n check.Needs, e conf.Elasticsearch) {
	var es *elastic.Client
	ok := step("elasticsearch "+redactURLs(e.URLs), func(ctx context.Context) (string, error) {
		var err error
		if es, err = e.Client(slog.New(slog.DiscardHandler)); err != nil {
			return "", err
		}
		res, code, err := es.Ping(e.URLs[0]).Do(ctx)
		if err != nil {
			return "", err
		}
		if code != http.StatusOK {
			return "", fmt.Errorf("HTTP %d %s", code, http.StatusText(code))
		}
		return fmt.Sprintf("version %s, cluster %s", res.Version.Number, res.ClusterName), nil
	})
	if !ok {
		return
	}
	defer es.Stop()
	step("elasticsearch cluster health", func(ctx context.Context) (string, error) {
		h, err := es.ClusterHealth().Do(ctx)
		if err != nil {
			return "", err
		}
		if h.Status == "red" {
			return "", fmt.Errorf("red: %d unassigned shard(s)", h.UnassignedShards)
		}
		return fmt.Sprintf("%s, %d node(s)", h.Status, h.NumberOfNodes), nil
	})
	step("elasticsearch privileges", func(ctx context.Context) (string, error) { return esPrivileges(ctx, es, n.Indices) })
	step("elasticsearch index templates", func(ctx context.Context) (string, error) {
		res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: http.MethodGet,
			Path: "/_index_template/logpipe-*", IgnoreErrors: []int{http.StatusNotFound}})
		if err != nil {
			return "", err
		}
		if res.StatusCode == http.StatusNotFound {
			return "none yet (logtransfer writes logpipe-<route> when a route starts)", nil
		}
		var body struct {
			IndexTemplates []struct{ Name string } `json:"index_templates"`
		}
		if err := json.Unmarshal(res.Body, &body); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d logpipe-* template(s) readable", len(body.IndexTemplates)), nil
	})
}

// esPrivileges asks the security API whether the user may manage index
// templates and ILM policies and create documents and indices of the
// routes' patterns. A cluster without security (or the stand-in) cannot
// tell, which is not a failure.
func esPrivileges(ctx context.Context, es *elastic.Client, indices []string) (string, error) {
	body := map[string]any{"cluster": []string{"manage_index_templates", "manage_ilm"}}
	if len(indices) > 0 {
		body["index"] = []map[string]any{{"names": indices, "privileges": []string{"create_doc", "create_index", "view_index_metadata"}}}
	}
	res, err := es.PerformRequest(ctx, elastic.PerformRequestOptions{Method: http.MethodPost,
		Path: "/_security/user/_has_privileges", Body: body,
		IgnoreErrors: []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMethodNotAllowed}})
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "cannot tell: no security API on this cluster", nil
	}
	var hp struct {
		All     bool                       `json:"has_all_requested"`
		Cluster map[string]bool            `json:"cluster"`
		Index   map[string]map[string]bool `json:"index"`
	}
	if err := json.Unmarshal(res.Body, &hp); err != nil {
		return "", err
	}
	if hp.All {
		return "templates, ILM and writes to " + orDash(strings.Join(indices, ",")) + " allowed", nil
	}
	var missing []string
	for p, ok := range hp.Cluster {
		if !ok {
			missing = append(missing, p)
		}
	}
	for ix, privs := range hp.Index {
		for p, ok := range privs {
			if !ok {
				missing = append(missing, p+" on "+ix)
			}
		}
	}
	slices.Sort(missing)
	return "", fmt.Errorf("missing privileges: %s", strings.Join(missing, ", "))
}
