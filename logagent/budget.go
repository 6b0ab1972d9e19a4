package logagent

import (
	"context"
	"sync"
)

// budget bounds the bytes in flight (read, not yet acked by Kafka). Acquire
// blocks the reader while the budget is spent, so a slow or absent Kafka
// pauses reading instead of growing memory: the log files are the buffer.
type budget struct {
	mu    sync.Mutex
	max   int64
	used  int64
	freed chan struct{} // closed and replaced on every release
}

func newBudget(max int64) *budget {
	return &budget{max: max, freed: make(chan struct{})}
}

// acquire takes n bytes, waiting until they fit or ctx is done. A single
// request larger than the whole budget is let through when nothing else is in
// flight, so one huge line cannot deadlock a file. If wake closes first,
// acquire returns false without taking anything: the caller has other work
// (re-sending records that hold budget) before it may wait again.
func (b *budget) acquire(ctx context.Context, n int64, wake <-chan struct{}) (bool, error) {
	for {
		b.mu.Lock()
		if b.used+n <= b.max || b.used == 0 {
			b.used += n
			b.mu.Unlock()
			return true, nil
		}
		ch := b.freed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-wake:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// release returns n bytes.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	ch := b.freed
	b.freed = make(chan struct{})
	b.mu.Unlock()
	close(ch)
}

// waitCh is closed at the next release.
func (b *budget) waitCh() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.freed
}

// inUse reports the bytes in flight.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
