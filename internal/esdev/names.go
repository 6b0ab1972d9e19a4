package esdev

import (
	"maps"
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
