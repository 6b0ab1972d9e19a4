package esdev

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleCreateIndex serves PUT /{index} with an optional body of settings
// and mappings, laid over the matching template.
func (s *Server) handleCreateIndex(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	name, req := p["index"], &template{}
	body, aerr := readObjectBody(r)
	if e := validateIndexName(name); e != nil {
		aerr = fail(http.StatusBadRequest, e)
	}
	if aerr = cmp.Or(aerr, checkParams(r), parseTemplateBody(req, body)); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx, ok := s.indices[name]; ok {
		return nil, fail(http.StatusBadRequest, newESError("resource_already_exists_exception",
			"index [%s/%s] already exists", name, idx.uuid).onIndex(name, idx.uuid))
	}
	settings, m := s.templateForLocked(name)
	maps.Copy(settings, req.settings)
	if req.mapping != nil {
		m.merge(req.mapping) // the request wins over the template
	}
	s.newIndexLocked(name, settings, m)
	return map[string]any{"acknowledged": true, "shards_acknowledged": true, "index": name}, nil
}

// SetAutoCreate sets Elasticsearch's action.auto_create_index cluster
// setting, true by default: when false, a write to a missing index fails
// with 404 index_not_found_exception. (Pattern lists are not supported.)
func (s *Server) SetAutoCreate(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noAutoCreate = !on
}

// handleDeleteIndex serves DELETE /{index}; comma lists and wildcards are
// allowed, as with Elasticsearch 7's default action.destructive_requires_name.
func (s *Server) handleDeleteIndex(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	return s.onIndices(p, true, func(idxs []*index) (any, *esError) {
		for _, idx := range idxs {
			if idx.timer != nil {
				idx.timer.Stop()
			}
			close(idx.refreshed) // release ?refresh=wait_for requests
			delete(s.indices, idx.name)
		}
		return acknowledged, nil
	})
}

// handleRefresh serves [/{index}]/_refresh: every write so far becomes
// searchable before the answer.
func (s *Server) handleRefresh(_ http.ResponseWriter, r *http.Request, p params) (any, *esError) {
	refreshed := map[string][]json.RawMessage{}
	defer func() { // after onIndices unlocked
		for n, srcs := range refreshed {
			s.notifyRefresh(n, srcs)
		}
	}()
	return s.onIndices(p, true, func(idxs []*index) (any, *esError) {
		total := 0
		for _, idx := range idxs {
			refreshed[idx.name] = s.refreshLocked(idx)
			total += 1 + idx.replicas()
		}
		return map[string]any{"_shards": shardsInfo{Total: total, Successful: len(idxs)}}, nil
	})
}

// replicas is index.number_of_replicas; a single node never assigns them.
func (idx *index) replicas() int {
	n, _ := strconv.Atoi(idx.settings["index.number_of_replicas"])
	return n
}

// refreshInterval reads index.refresh_interval: a time value such as "1s"
// or "500ms", or "-1" for never.
func refreshInterval(settings map[string]string) (time.Duration, *esError) {
	v, ok := settings["index.refresh_interval"]
	if !ok || v == "-1" {
		return map[bool]time.Duration{true: -1, false: defaultRefresh}[ok], nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, newESError("illegal_argument_exception",
			"failed to parse setting [index.refresh_interval] with value [%s] as a time value: unit is missing or unrecognized", v)
	}
	return d, nil
}

// flattenSettings turns index settings in any accepted shape — nested
// objects, dotted keys, with or without the "index." prefix, numbers or
// strings — into the flat "index.x.y" → string form Elasticsearch stores,
// and lists the keys set to null (reset to their default).
func flattenSettings(in map[string]any) (map[string]string, []string) {
	out, reset := map[string]string{}, []string(nil)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, c := range m {
				walk(joinPath(prefix, k), c)
			}
			return
		}
		if !strings.HasPrefix(prefix, "index.") {
			prefix = "index." + prefix
		}
		if v == nil {
			reset = append(reset, prefix)
		} else {
			out[prefix] = scalarString(v)
		}
	}
	walk("", in)
	return out, reset
}
