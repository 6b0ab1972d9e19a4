package logagent

import (
	"context"
	"time"

	"github.com/nxadm/tail/watch"
	"gopkg.in/tomb.v1"
)

// changeWaiter blocks a harvester at end of file until the file may have
// changed, ctx is done, or timeout passes. A wake-up is only a hint: the
// harvester re-checks the file itself, so a missed or spurious event costs at
// most one poll interval, never a line.
type changeWaiter func(ctx context.Context, path string, offset int64, timeout time.Duration)

// pollWaiter just sleeps: the harvester's own fstat is the change check.
func pollWaiter(ctx context.Context, _ string, _ int64, timeout time.Duration) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// inotifyWaiter uses nxadm/tail's inotify watcher (one shared inotify
// instance per process) so an idle file costs nothing and new data wakes the
// harvester at once; the timeout remains as the safety net.
//
// NOTE: nxadm/tail's watcher calls os.Exit (util.Fatal) if stat of the path
// fails with anything but "not found" (e.g. permission denied on the
// directory). The agent survives that only as a restart from its saved
// positions; watch_method = poll avoids the library's watcher entirely.
func inotifyWaiter(ctx context.Context, path string, offset int64, timeout time.Duration) {
	var tb tomb.Tomb
	defer tb.Done()
	defer tb.Kill(nil)
	changes, err := watch.NewInotifyFileWatcher(path).ChangeEvents(&tb, offset)
	if err != nil {
		pollWaiter(ctx, path, offset, timeout)
		return
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-changes.Modified:
	case <-changes.Truncated:
	case <-changes.Deleted:
	}
}
