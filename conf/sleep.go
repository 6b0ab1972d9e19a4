package conf

import (
	"context"
	"time"
)

// Sleep waits d, or until ctx ends: then it returns ctx.Err(). Both
// daemons' supervised loops pace their retries with it.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
