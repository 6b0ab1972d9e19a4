package logtransfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"github.com/logpipe/logpipe/internal/atomicfile"
	"github.com/olivere/elastic/v7"
)

// managedBy marks templates logtransfer owns, in their _meta.
const managedBy = "logpipe"

// templates installs each route's composable index template (and ILM
// policy when retention_days is set) on first sight of the route.
//
// Contract: ensure never overwrites a template an operator changed. A
// template is ours to rewrite only if its _meta says managed_by logpipe and
// its _meta.hash is what we would write now (nothing to do) or what this
// instance last wrote (an older version of ours, left by a route change).
// Anything else — no _meta, someone else's hash — is left alone and logged
// at Info. The hashes last written are kept in state_dir so the rule holds
// across restarts. ensure returns an error only for what is worth retrying
// (Elasticsearch unreachable, 429, 5xx); a template Elasticsearch refuses
// (400, e.g. two routes with one index pattern) is logged as an Error and the
// route runs without it.
type templates struct {
	es   *elastic.Client
	path string // state file: template name -> hash last written
	log  *slog.Logger

	mu      sync.Mutex
	written map[string]string
}

func newTemplates(es *elastic.Client, path string, log *slog.Logger) *templates {
	t := &templates{es: es, path: path, log: log, written: map[string]string{}}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &t.written); err != nil {
			log.Warn("template state file is corrupt, ignoring it", "path", path, "err", err)
		}
	}
	return t
}

// templateName is the composable template (and ILM policy) of a route.
func templateName(route string) string { return "logpipe-" + route }

// templateBody is what we write for route r, and its hash.
func templateBody(name string, r Route) (map[string]any, string) {
	idx, _ := parseIndexName(r.Index)
	settings := map[string]any{}
	if r.Shards > 0 {
		settings["number_of_shards"] = r.Shards
	}
	if r.Replicas != nil {
		settings["number_of_replicas"] = *r.Replicas
	}
	if r.RetentionDays > 0 {
		settings["index.lifecycle.name"] = templateName(name)
	}
	keyword := func() map[string]any { return map[string]any{"type": "keyword"} }
	body := map[string]any{
		"index_patterns": []string{idx.pattern()},
		// A more specific pattern wins over a broader one of another route.
		"priority": 100 + len(idx.pattern()),
		"template": map[string]any{
			"settings": settings,
			"mappings": map[string]any{
				"dynamic_templates": []any{map[string]any{"strings_as_keyword": map[string]any{
					"match_mapping_type": "string",
					"mapping": map[string]any{"type": "keyword", "ignore_above": 1024,
						"fields": map[string]any{"text": map[string]any{"type": "text"}}},
				}}},
				"properties": map[string]any{
					"@timestamp": map[string]any{"type": "date"},
					"message":    map[string]any{"type": "text"},
					"host":       map[string]any{"properties": map[string]any{"name": keyword()}},
					"log": map[string]any{"properties": map[string]any{
						"file":   map[string]any{"properties": map[string]any{"path": keyword()}},
						"offset": map[string]any{"type": "long"},
					}},
					"event": map[string]any{"properties": map[string]any{
						"created":  map[string]any{"type": "date"},
						"ingested": map[string]any{"type": "date"},
					}},
					"tags": keyword(),
				},
			},
		},
	}
	b, _ := json.Marshal(body) // map keys marshal sorted: the hash is stable
	sum := sha256.Sum256(b)
	hash := hex.EncodeToString(sum[:8])
	body["_meta"] = map[string]any{"managed_by": managedBy, "route": name, "hash": hash}
	return body, hash
}

// ensure installs or updates route name's template per the contract above.
func (t *templates) ensure(ctx context.Context, name string, r Route) error {
	tn := templateName(name)
	body, hash := templateBody(name, r)
	log := t.log.With("template", tn)
	existing, err := t.es.IndexGetIndexTemplate(tn).Do(ctx)
	switch {
	case elastic.IsNotFound(err):
	case err != nil:
		return fmt.Errorf("reading index template %s: %w", tn, err)
	default:
		var meta map[string]any
		for _, it := range existing.IndexTemplates {
			if it.Name == tn && it.IndexTemplate != nil {
				meta = it.IndexTemplate.Meta
			}
		}
		have, _ := meta["hash"].(string)
		t.mu.Lock()
		last := t.written[tn]
		t.mu.Unlock()
		switch {
		case meta["managed_by"] != managedBy:
			log.Info("index template not managed by logpipe, leaving it alone")
			return nil
		case have == hash:
			return nil
		case have != last:
			log.Info("index template changed by hand, leaving it alone", "hash", have, "ours", hash)
			return nil
		}
	}
	if r.RetentionDays > 0 {
		if err := t.putPolicy(ctx, tn, name, r.RetentionDays); err != nil {
			return err
		}
	}
	if _, err := t.es.IndexPutIndexTemplate(tn).BodyJson(body).Do(ctx); err != nil {
		if elastic.IsStatusCode(err, http.StatusBadRequest) {
			log.Error("elasticsearch refused the index template; the route runs without it", "err", err)
			return nil
		}
		return fmt.Errorf("writing index template %s: %w", tn, err)
	}
	log.Info("index template installed", "hash", hash, "pattern", body["index_patterns"])
	return t.remember(tn, hash)
}

// putPolicy writes the ILM policy deleting the route's indices after days.
func (t *templates) putPolicy(ctx context.Context, policy, route string, days int) error {
	body := map[string]any{"policy": map[string]any{
		"_meta": map[string]any{"managed_by": managedBy, "route": route},
		"phases": map[string]any{"delete": map[string]any{
			"min_age": fmt.Sprintf("%dd", days), "actions": map[string]any{"delete": map[string]any{}},
		}},
	}}
	_, err := t.es.XPackIlmPutLifecycle().Policy(policy).BodyJson(body).Do(ctx)
	if err != nil && !elastic.IsStatusCode(err, http.StatusBadRequest) {
		return fmt.Errorf("writing ILM policy %s: %w", policy, err)
	}
	if err != nil {
		t.log.Error("elasticsearch refused the ILM policy; indices will not expire", "policy", policy, "err", err)
	}
	return nil
}

func (t *templates) remember(name, hash string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.written[name] = hash
	b, err := json.Marshal(t.written)
	if err == nil {
		err = atomicfile.Write(t.path, b, 0o600)
	}
	if err != nil {
		// Not worth retrying the route for: at worst a later route change
		// leaves this template alone as if it were edited by hand.
		t.log.Warn("saving template state", "path", t.path, "err", errors.Unwrap(err))
	}
	return nil
}
