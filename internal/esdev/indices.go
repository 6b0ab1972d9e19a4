package esdev

import (
	"cmp"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
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
	if aerr = cmp.Or(aerr, parseTemplateBody(req, body)); aerr != nil {
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
	defer s.notifyRefresh(refreshed) // after onIndices unlocked
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

// validateIndexName applies Elasticsearch's index naming rules and returns
// the invalid_index_name_exception a real cluster gives, or nil.
func validateIndexName(name string) *esError {
	why := ""
	switch {
	case name == "":
		why = "must not be empty"
	case strings.ToLower(name) != name:
		why = "must be lowercase"
	case strings.ContainsAny(name, `\/*?"<>| ,#`):
		why = `must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?, #]`
	case strings.ContainsAny(name[:1], "_-+"):
		why = "must not start with '_', '-', or '+'"
	case name == "." || name == "..":
		why = "must not be '.' or '..'"
	case len(name) > 255:
		why = "index name is too long, (" + strconv.Itoa(len(name)) + " > 255)"
	default:
		return nil
	}
	return newESError("invalid_index_name_exception", "Invalid index name [%s], %s", name, why).onIndex(name, "_na_")
}

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters and '?' any one: index expressions and template patterns
// have no '?' (index names cannot hold one), query_string wildcards do.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	star, mark, i, j := -1, 0, 0, 0
	for j < len(t) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == t[j]):
			i, j = i+1, j+1
		case i < len(p) && p[i] == '*':
			star, mark, i = i, j, i+1
		case star >= 0:
			i, mark, j = star+1, mark+1, mark+1
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// inList reports whether name matches one of a comma list of patterns.
func inList(list, name string) bool {
	return slices.ContainsFunc(strings.Split(list, ","), func(p string) bool { return globMatch(p, name) })
}

// resolveLocked expands an index expression — a comma list of names and
// '*' patterns, or _all — into existing indices sorted by name, as
// Elasticsearch does by default (a missing name is 404, a pattern matching
// nothing is not). The caller holds s.mu.
func (s *Server) resolveLocked(expr string) ([]*index, *esError) {
	seen := map[string]bool{}
	for part := range strings.SplitSeq(expr, ",") {
		switch {
		case part == "" || part == "_all" || strings.Contains(part, "*"):
			for name := range s.indices {
				seen[name] = seen[name] || part == "" || part == "_all" || globMatch(part, name)
			}
		case s.indices[part] != nil:
			seen[part] = true
		default:
			return nil, indexNotFound(part)
		}
	}
	var out []*index
	for _, n := range slices.Sorted(maps.Keys(seen)) {
		if seen[n] {
			out = append(out, s.indices[n])
		}
	}
	return out, nil
}

// onIndices resolves the request's {index} under s.mu, held for writing
// if write, and answers with what fn makes of the indices.
func (s *Server) onIndices(p params, write bool, fn func([]*index) (any, *esError)) (any, *esError) {
	lock, unlock := s.mu.RLock, s.mu.RUnlock
	if write {
		lock, unlock = s.mu.Lock, s.mu.Unlock
	}
	lock()
	defer unlock()
	idxs, aerr := s.resolveLocked(p["index"])
	if aerr != nil {
		return nil, aerr
	}
	return fn(idxs)
}
