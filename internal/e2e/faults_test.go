//go:build linux

package e2e

// faultScenarios are faults of the components around the daemons: etcd,
// Kafka, Elasticsearch, and a second transfer instance.
var faultScenarios = []scenario{}
