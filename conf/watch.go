package conf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/logpipe/logpipe/internal/atomicfile"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Defaults of the watch recipe.
const (
	// DefaultQuiet collapses a burst of edits (a script writing ten keys)
	// into one reconcile.
	DefaultQuiet = 100 * time.Millisecond
	// DefaultMaxQuiet bounds how long a steady stream of edits can delay a
	// reconcile.
	DefaultMaxQuiet = time.Second
	// DefaultRetry is the pause between attempts to reach etcd.
	DefaultRetry = time.Second
	// DefaultReadTimeout bounds one snapshot read.
	DefaultReadTimeout = 5 * time.Second
)

// Snapshot is every key under the watched prefixes at one revision. The
// consumer diffs snapshots; it never sees individual events, so a missed or
// compacted event can only delay a change, never lose it.
type Snapshot struct {
	Rev int64             `json:"rev"`
	KVs map[string]string `json:"kvs"`
	// Cached is true when the snapshot was read from the on-disk cache
	// because etcd could not be reached.
	Cached bool `json:"-"`
}

// Watcher follows one or more etcd prefixes and delivers full snapshots.
//
// The recipe: Get every prefix at one revision → deliver → Watch every prefix
// from rev+1 under WithRequireLeader → apply events to a copy → deliver after a
// quiet window. On a compaction, a cancelled watch or a closed channel it reads
// again from scratch. Every snapshot delivered from etcd is cached on disk, so a
// daemon started while etcd is down runs its last known tasks.
type Watcher struct {
	cli      *clientv3.Client
	prefixes []string
	keep     func(key string) bool
	cache    string
	quiet    time.Duration
	maxQuiet time.Duration
	retry    time.Duration
	// readTimeout bounds one Get so an unreachable etcd falls back to the
	// cache instead of hanging start-up.
	readTimeout time.Duration
	log         *slog.Logger
}

// WatchOption configures a Watcher.
type WatchOption func(*Watcher)

// WithCacheFile caches each snapshot in path and loads it when etcd is down at start.
func WithCacheFile(path string) WatchOption { return func(w *Watcher) { w.cache = path } }

// WithKeyFilter keeps only keys for which keep returns true (e.g. to skip the
// daemon's own status key, which would otherwise wake it on every write).
func WithKeyFilter(keep func(string) bool) WatchOption { return func(w *Watcher) { w.keep = keep } }

// WithQuiet sets the quiet window and its upper bound.
func WithQuiet(quiet, maxQuiet time.Duration) WatchOption {
	return func(w *Watcher) { w.quiet, w.maxQuiet = quiet, maxQuiet }
}

// WithRetry sets the pause between attempts to reach etcd.
func WithRetry(d time.Duration) WatchOption { return func(w *Watcher) { w.retry = d } }

// WithReadTimeout bounds one snapshot read (the etcd dial timeout is a good value).
func WithReadTimeout(d time.Duration) WatchOption { return func(w *Watcher) { w.readTimeout = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) WatchOption { return func(w *Watcher) { w.log = l } }

// NewWatcher returns a watcher of prefixes through cli.
func NewWatcher(cli *clientv3.Client, prefixes []string, opts ...WatchOption) *Watcher {
	w := &Watcher{
		cli: cli, prefixes: prefixes, keep: func(string) bool { return true },
		quiet: DefaultQuiet, maxQuiet: DefaultMaxQuiet, retry: DefaultRetry, readTimeout: DefaultReadTimeout,
		log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Run delivers snapshots to apply until ctx is done; it then returns nil.
// apply is called from Run's goroutine only, never concurrently, and must not
// block for long: the watch is not read while it runs.
func (w *Watcher) Run(ctx context.Context, apply func(Snapshot)) error {
	delivered := false
	for ctx.Err() == nil {
		snap, err := w.read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("etcd read failed, retrying", "prefixes", w.prefixes, "err", err)
			if !delivered {
				if cached, ok := w.loadCache(); ok {
					w.log.Warn("etcd unreachable at start, running cached snapshot", "rev", cached.Rev, "cache", w.cache)
					apply(cached)
					delivered = true
				}
			}
			sleep(ctx, w.retry)
			continue
		}
		apply(snap)
		delivered = true
		w.saveCache(snap)
		if err := w.follow(ctx, snap, apply); err != nil && ctx.Err() == nil {
			w.log.Warn("etcd watch ended, reading again", "err", err)
			sleep(ctx, w.retry/4)
		}
	}
	return nil
}

// read gets every prefix at one revision.
func (w *Watcher) read(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{KVs: map[string]string{}}
	for i, p := range w.prefixes {
		opts := []clientv3.OpOption{clientv3.WithPrefix()}
		if i > 0 {
			opts = append(opts, clientv3.WithRev(snap.Rev))
		}
		rctx, cancel := context.WithTimeout(ctx, w.readTimeout)
		resp, err := w.cli.Get(rctx, p, opts...)
		cancel()
		if err != nil {
			return Snapshot{}, fmt.Errorf("get %s: %w", p, err)
		}
		if i == 0 {
			snap.Rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			if k := string(kv.Key); w.keep(k) {
				snap.KVs[k] = string(kv.Value)
			}
		}
	}
	return snap, nil
}

// follow applies watch events to snap and delivers it after each quiet
// window. It returns when ctx is done or the watch must be re-established.
func (w *Watcher) follow(ctx context.Context, snap Snapshot, apply func(Snapshot)) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	type msg struct {
		resp clientv3.WatchResponse
		ok   bool
	}
	events := make(chan msg)
	for _, p := range w.prefixes {
		wch := w.cli.Watch(wctx, p, clientv3.WithPrefix(), clientv3.WithRev(snap.Rev+1))
		go func() {
			for {
				resp, ok := <-wch
				select {
				case events <- msg{resp, ok}:
				case <-wctx.Done():
					return
				}
				if !ok {
					return
				}
			}
		}()
	}
	cur := Snapshot{Rev: snap.Rev, KVs: maps.Clone(snap.KVs)}
	var quiet, maxQuiet <-chan time.Time
	var dirtySince time.Time
	flush := func() {
		apply(Snapshot{Rev: cur.Rev, KVs: maps.Clone(cur.KVs)})
		w.saveCache(cur)
		quiet, maxQuiet, dirtySince = nil, nil, time.Time{}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-quiet:
			flush()
		case <-maxQuiet:
			flush()
		case m := <-events:
			if !m.ok {
				return errors.New("watch channel closed")
			}
			if err := m.resp.Err(); err != nil {
				if errors.Is(err, rpctypes.ErrCompacted) {
					return fmt.Errorf("watch compacted at %d: %w", m.resp.CompactRevision, err)
				}
				return fmt.Errorf("watch: %w", err)
			}
			if m.resp.Canceled {
				return errors.New("watch canceled")
			}
			changed := false
			for _, ev := range m.resp.Events {
				k := string(ev.Kv.Key)
				if !w.keep(k) {
					continue
				}
				changed = true
				if ev.Type == clientv3.EventTypeDelete {
					delete(cur.KVs, k)
				} else {
					cur.KVs[k] = string(ev.Kv.Value)
				}
			}
			if m.resp.Header.Revision > cur.Rev {
				cur.Rev = m.resp.Header.Revision
			}
			if !changed {
				continue
			}
			quiet = time.After(w.quiet)
			if dirtySince.IsZero() {
				dirtySince = time.Now()
				maxQuiet = time.After(w.maxQuiet)
			}
		}
	}
}

func (w *Watcher) loadCache() (Snapshot, bool) {
	if w.cache == "" {
		return Snapshot{}, false
	}
	b, err := os.ReadFile(w.cache)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			w.log.Warn("reading snapshot cache", "cache", w.cache, "err", err)
		}
		return Snapshot{}, false
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		w.log.Warn("snapshot cache is corrupt, ignoring it", "cache", w.cache, "err", err)
		return Snapshot{}, false
	}
	if s.KVs == nil {
		s.KVs = map[string]string{}
	}
	s.Cached = true
	return s, true
}

func (w *Watcher) saveCache(s Snapshot) {
	if w.cache == "" {
		return
	}
	b, err := json.Marshal(s)
	if err == nil {
		err = atomicfile.Write(w.cache, b, 0o600)
	}
	if err != nil {
		w.log.Warn("writing snapshot cache", "cache", w.cache, "err", err)
	}
}

// HasPrefixAny reports whether key starts with any of prefixes.
func HasPrefixAny(key string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
