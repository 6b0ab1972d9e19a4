// Package e2e holds the end-to-end fault suite ("Prove the guarantees"): the
// real logagent and logtransfer binaries run as subprocesses against
// in-process infrastructure (embedded etcd, the "cloud" and "idc" kfake
// clusters, the mirror between them and the ES-API stand-in), while faults
// are injected and a counting oracle checks that every written line is
// indexed exactly once and reached the cloud topic in order per file.
//
//	writer ─▶ app-*.log ─▶ logagent ─▶ cloud ─▶ mirror ─▶ idc ─▶ logtransfer ─▶ esdev
//	   │                               (bin)   (kfake)  (kgo)  (kfake)  (bin)      │
//	   └──────────── oracle: missing, duplicates, per-file order ◀────────────────┘
//
// Everything lives in the tests: `make test` runs the short suite (fault
// windows of a few seconds), `make chaos` the long one (CHAOS_FULL=1).
package e2e
