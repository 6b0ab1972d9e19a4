package logtransfer

import "github.com/logpipe/logpipe/conf"

// Status is the JSON an instance keeps at /logtransfer/<id>/status, bound to
// a lease so it disappears with the instance: `etcdctl get` tells whether a
// route edit took, which partitions this instance owns, how far each is
// committed, its lag, and which keys were refused and why.
type Status struct {
	Instance    string           `json:"instance"`
	Version     string           `json:"version"`
	Rev         int64            `json:"applied_revision"`
	FromCache   bool             `json:"from_cache"`
	Routes      []RouteStatus    `json:"routes"`
	Rejected    []conf.Rejection `json:"rejected"`
	InflightB   int64            `json:"inflight_bytes"`
	LastError   string           `json:"last_error,omitempty"`
	UpdatedUnix int64            `json:"updated_unix"`
}

// RouteStatus is one route in Status: its state (running, waiting,
// failing), reason and since come from the route's Condition.
type RouteStatus struct {
	conf.Health
	Name       string            `json:"name"`
	Route      Route             `json:"route"`
	Group      string            `json:"group"`
	Partitions []PartitionStatus `json:"partitions"`
	LastError  string            `json:"last_error,omitempty"`
	// RetentionRisk is set while an owned partition's oldest unindexed
	// record is older than retention_warn_fraction of the topic's
	// retention.ms (retention.go); the route's own state is not changed.
	RetentionRisk *RetentionRisk `json:"retention_risk,omitempty"`
}
