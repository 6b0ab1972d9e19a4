package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/logpipe/logpipe/logagent"
)

// An agent keeps only summaries in its status key (it is shared etcd); its
// files and its audit line counts are on its HTTP address, which the key
// names (logagent.Status.HTTP). A key that still carries them (an agent
// from before the split) is used as is.

// agentFiles fills r's tasks' files and problems from the agent's
// /status/files; why it could not goes to r.Detail.
func (c *cli) agentFiles(ctx context.Context, r *agentReport) {
	st := &r.Status
	if r.Missing || r.Invalid != "" || st.HTTP == "" {
		return
	}
	for _, ts := range st.Tasks {
		if len(ts.Files) > 0 {
			return
		}
	}
	var full logagent.Status
	if err := c.agentGet(ctx, st.HTTP, "/status/files", &full); err != nil {
		r.Detail = "files unavailable: " + err.Error()
		return
	}
	byName := map[string]logagent.TaskStatus{}
	for _, ts := range full.Tasks {
		byName[ts.Name] = ts
	}
	for i, ts := range st.Tasks {
		if f, ok := byName[ts.Name]; ok {
			st.Tasks[i].Files, st.Tasks[i].Problems = f.Files, f.Problems
		}
	}
}

// agentLines fills r's audit line counts from the agent's /status/lines;
// why it could not goes to r.Detail.
func (c *cli) agentLines(ctx context.Context, r *agentReport) {
	st := &r.Status
	if r.Missing || r.Invalid != "" || st.HTTP == "" || st.Lines != nil {
		return
	}
	var lc logagent.LineCounts
	if err := c.agentGet(ctx, st.HTTP, "/status/lines", &lc); err != nil {
		r.Detail = "line counts unavailable: " + err.Error()
		return
	}
	st.Lines = &lc
}

// agentGet decodes the JSON at path of the agent's ops address, within
// --timeout.
func (c *cli) agentGet(ctx context.Context, addr, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, c.g.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("agent at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("agent at %s: GET %s: %s", addr, path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("agent at %s: GET %s: %w", addr, path, err)
	}
	return nil
}
