// Package devstack starts real infrastructure in-process on 127.0.0.1 with
// random ports, for tests and for the local demo stack: an embedded etcd
// server (go.etcd.io/etcd/server/v3/embed) and Kafka-protocol brokers
// (github.com/twmb/franz-go/pkg/kfake). Each can be stopped and restarted on
// the same port with its data, so tests can take a dependency down and bring
// it back the way an outage would.
//
// The helpers named New… take a testing.TB and clean up after the test; the
// Start… functions are for programs.
package devstack
