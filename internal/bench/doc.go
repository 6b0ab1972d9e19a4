// Package bench is `make bench`: it measures the real logagent and
// logtransfer binaries, each in a process of its own, so CPU and memory are
// read per process from /proc (user+system time from /proc/<pid>/stat, peak
// RSS from VmRSS samples and VmHWM in /proc/<pid>/status).
//
//	harness (this package, internal/cmd/bench)
//	│  embedded etcd: the agent's task, the transfer's route
//	│  writes log files (pre-written, or 35,000 lines/s)
//	│  reads high-water marks and lp.id (franz-go) ─────────────┐
//	▼                                                          ▼
//	logagent ─acks=all────────▶ benchbroker (kfake) ──▶ logtransfer ──_bulk──▶ benchsink
//	GOMAXPROCS=1, own CPU       own process, data dir   own process             answers "created",
//	                            stopped and restarted                           write→indexed latency
//
// Scenarios, each with fresh processes and topics:
//
//   - throughput: a pre-written 2,000,000-line file shipped by the agent on
//     one core, from its start until the broker holds every line; then by
//     kcat (-P -l) when installed, pinned the same way, for the ratio.
//   - follow: a file written at 35,000 lines/s; the agent's CPU and peak RSS
//     while the broker is up, then its peak RSS while the broker process is
//     stopped for as long, then a count of distinct lp.id once it is back.
//   - transfer: a topic pre-filled with agent-style records indexed by
//     logtransfer, from its start until the sink answered every document.
//   - e2e: the whole pipeline at 35,000 lines/s; each line carries its write
//     time and the sink computes indexed time − write time.
//   - wake: what the agent's core charges a process for waking every 200 ms
//     to do memory-bound work (internal/cmd/wakecost): the machine's part of
//     the paced figures.
//   - paced: logagent and the installed peers (kcat, rsyslog, naive-go)
//     each following a file written line by line at 1,750, 7,000 and 35,000
//     lines/s (rates.go).
//
// Every child runs in its own process group, dies with the harness
// (Pdeathsig) and is stopped when its scenario ends, fails or is
// interrupted; the work directory is removed unless -keep.
package bench
