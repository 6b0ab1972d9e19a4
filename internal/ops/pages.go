package ops

import (
	"context"
	"log/slog"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// Start-up touches most of a Go daemon's executable: package initialisers,
// flag and ini parsing, the etcd, gRPC and Kafka clients' set-up, each
// page mapped with the kernel's fault-around. Those pages stay in the
// process's RSS although a running daemon never touches most of them
// again: 14.6 of the agent's 24.6 MB at 7,000 lines/s were pages of its own
// 16.4 MB binary. So once the daemon is ready, and start-up has settled,
// it asks the kernel to reclaim the executable's read-only pages
// (MADV_PAGEOUT: clean pages are dropped, not written anywhere); what it
// touches later comes back on demand, from the page cache or the disk.
// make bench, paced, with the 256 KiB batches of the time and pageout
// alone: peak RSS 22.7 → 13.0 MB at 1,750 lines/s, 24.6 → 14.5-14.9 at
// 7,000, 27.0 → 17-24 at 35,000 (how much of the binary comes back varies
// from run to run; see pages_linux.go for the random-access hint), CPU the
// same within the noise. It is done once: a rarely run path (a reload, a
// reconnection) touched later stays resident until the next start.

// startupSettle is how long after ready the pages are released: the first
// scans, connections and status writes of a fresh daemon are done by then.
const startupSettle = 2 * time.Second

// startupMaxWait bounds the wait for ready: a daemon whose dependencies are
// down still releases its start-up pages.
const startupMaxWait = 30 * time.Second

// releaseStartupPages waits until r is ready (when it says) or
// startupMaxWait passed, then startupSettle, then releases the pages of the
// executable and logs what RSS it freed.
func releaseStartupPages(ctx context.Context, r Runner, log *slog.Logger) {
	deadline := time.Now().Add(startupMaxWait)
	if rd, ok := r.(interface{ Ready() error }); ok {
		for time.Now().Before(deadline) && rd.Ready() != nil {
			if conf.Sleep(ctx, 250*time.Millisecond) != nil {
				return
			}
		}
	}
	if conf.Sleep(ctx, startupSettle) != nil {
		return
	}
	before, err := releaseExecutablePages()
	if err != nil {
		log.Debug("start-up pages of the executable kept", "err", err)
		return
	}
	log.Info("released the start-up pages of the executable", "rss_file_before_kb", before>>10, "rss_file_after_kb", rssFile()>>10)
}
