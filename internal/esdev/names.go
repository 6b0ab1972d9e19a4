package esdev

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

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
// characters: the only wildcard of index expressions and template patterns.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
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
func (s *Server) onIndices(r *http.Request, p params, write bool, fn func([]*index) (any, *esError)) (any, *esError) {
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

func names(idxs []*index) []string {
	out := make([]string, len(idxs))
	for i, idx := range idxs {
		out[i] = idx.name
	}
	return out
}
