package logtransfer

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/logpipe/logpipe/conf"
)

// Etcd key layout of the transfer daemon: routes are shared by every
// instance under /logtransfer/routes/<name>; each instance publishes its
// status at /logtransfer/<instance-id>/status.
const (
	KeyRoot     = "/logtransfer/"
	RoutePrefix = KeyRoot + "routes/"
)

// RouteKey is the etcd key of route name.
func RouteKey(name string) string { return RoutePrefix + name }

// StatusKey is the etcd key where instance publishes its status.
func StatusKey(instance string) string { return KeyRoot + instance + "/status" }

// routeNameRe keeps route names usable in consumer group ids and index
// template names.
var routeNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)

// routeResolver turns etcd snapshots into the route set; each key keeps its
// last valid version when an edit is invalid (conf.LastValid).
type routeResolver struct {
	keys *conf.LastValid[Route]
}

func newRouteResolver() *routeResolver {
	return &routeResolver{keys: conf.NewLastValid[Route]()}
}

// ValidateRouteName checks a route name: it becomes part of a consumer
// group id and an index template name.
func ValidateRouteName(name string) error {
	if !routeNameRe.MatchString(name) {
		return fmt.Errorf("route name %q: want 1-100 of [a-z0-9._-], starting with a letter or digit", name)
	}
	return nil
}

// decode turns one key's value into its route.
func decodeRouteKV(key, value string) (Route, error) {
	if err := ValidateRouteName(strings.TrimPrefix(key, RoutePrefix)); err != nil {
		return Route{}, err
	}
	return DecodeRoute([]byte(value))
}

// resolve returns the routes by name and the rejected keys, sorted by key.
func (r *routeResolver) resolve(snap conf.Snapshot) (map[string]Route, []conf.Rejection) {
	byKey, rejected := r.keys.Resolve(snap.KVs, decodeRouteKV)
	routes := make(map[string]Route, len(byKey))
	for k, rt := range byKey {
		routes[strings.TrimPrefix(k, RoutePrefix)] = rt
	}
	return routes, rejected
}

// isRouteKey keeps the keys that define routes.
func isRouteKey(k string) bool { return strings.HasPrefix(k, RoutePrefix) && len(k) > len(RoutePrefix) }
