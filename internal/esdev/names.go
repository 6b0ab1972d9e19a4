package esdev

import (
	"net/http"
	"slices"
	"strings"
)

// validateIndexName applies Elasticsearch's index naming rules and returns
// the invalid_index_name_exception a real cluster gives, or nil.
func validateIndexName(name string) *esError {
	bad := func(why string) *esError {
		return newESError("invalid_index_name_exception", "Invalid index name [%s], %s", name, why).
			onIndex(name, "_na_")
	}
	switch {
	case name == "":
		return bad("must not be empty")
	case strings.ToLower(name) != name:
		return bad("must be lowercase")
	case strings.ContainsAny(name, `\/*?"<>| ,`):
		return bad(`must not contain the following characters [ , ", *, \, <, |, ,, >, /, ?]`)
	case strings.Contains(name, "#"):
		return bad("must not contain '#'")
	case strings.ContainsAny(name[:1], "_-+"):
		return bad("must not start with '_', '-', or '+'")
	case name == "." || name == "..":
		return bad("must not be '.' or '..'")
	case len(name) > 255:
		return newESError("invalid_index_name_exception",
			"Invalid index name [%s], index name is too long, (%d > 255)", name, len(name)).onIndex(name, "_na_")
	}
	return nil
}

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters: the only wildcard Elasticsearch accepts in index expressions
// and template patterns.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// resolveOptions mirror the indices options of Elasticsearch requests.
type resolveOptions struct {
	ignoreUnavailable bool // skip missing concrete names instead of 404
	allowNoIndices    bool // an expression matching nothing is not an error
}

// defaultResolve reads the indices options from the request parameters,
// with Elasticsearch's defaults for search-like requests.
func defaultResolve(r *http.Request) resolveOptions {
	return resolveOptions{
		ignoreUnavailable: paramBool(r, "ignore_unavailable", false),
		allowNoIndices:    paramBool(r, "allow_no_indices", true),
	}
}

// resolveLocked expands an index expression — comma list, '*' wildcards,
// "_all" and "-pattern" exclusions — into sorted existing index names.
// The caller holds s.mu.
func (s *Server) resolveLocked(expr string, opt resolveOptions) ([]string, *apiError) {
	if expr == "" || expr == "_all" {
		expr = "*"
	}
	seen := make(map[string]bool)
	wildcardSeen := false
	for part := range strings.SplitSeq(expr, ",") {
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, "-") && wildcardSeen {
			for name := range seen {
				if globMatch(part[1:], name) {
					delete(seen, name)
				}
			}
			continue
		}
		if strings.Contains(part, "*") || part == "_all" {
			wildcardSeen = true
			for name := range s.indices {
				if part == "_all" || globMatch(part, name) {
					seen[name] = true
				}
			}
			continue
		}
		if _, ok := s.indices[part]; ok {
			seen[part] = true
		} else if !opt.ignoreUnavailable {
			return nil, indexNotFound(part)
		}
	}
	if len(seen) == 0 && !opt.allowNoIndices {
		return nil, indexNotFound(expr)
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}
