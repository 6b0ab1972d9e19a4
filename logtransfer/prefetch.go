package logtransfer

import (
	"context"
	"sync"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/conf"
)

// What sarama holds ahead of the budget, per claimed partition: the records
// of its last fetch response (at most fetchBytes, or one record batch when a
// batch is larger) and up to prefetchRecords records queued for
// ConsumeClaim; one fetch request of a route asks for at most 4 fetchBytes.
// sarama's defaults (1 MiB and 256 records) let 20 routes of
// 4 partitions catching up on 20 KB records hold over 1 GB next to a 16 MiB
// budget; these keep it to about 80 × (256 KiB + 4 × 20 KB) ≈ 27 MiB, and
// a route whose share of the budget is spent pauses its partitions, so no
// further fetch is made for it (README, "Sizing").
const (
	prefetchRecords  = 4
	minFetchBytes    = 64 << 10
	maxFetchBytes    = 1 << 20
	fetchBudgetRatio = 64 // fetchBytes = max_inflight_bytes / 64, within the bounds above
)

// fetchBytes is the per-partition fetch size for a budget.
func fetchBytes(budget int64) int32 {
	return int32(min(max(budget/fetchBudgetRatio, minFetchBytes), maxFetchBytes))
}

// consumerConfig is [kafka] as a consumer-group configuration whose
// prefetch is sized from the byte budget.
func consumerConfig(k conf.Kafka, budget int64, tweak func(*sarama.Config)) (*sarama.Config, error) {
	c, err := k.Sarama()
	if err != nil {
		return nil, err
	}
	// Offsets are committed by the handler only (Sarama already disables
	// auto-commit); a new group starts at the oldest record.
	c.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRoundRobin()}
	c.ChannelBufferSize = prefetchRecords
	c.Consumer.Fetch.Default = fetchBytes(budget)
	c.Consumer.Fetch.MaxBytes = 4 * c.Consumer.Fetch.Default
	if tweak != nil {
		tweak(c)
	}
	return c, c.Validate()
}

// pauser pauses and resumes a route's partitions (its consumer group's
// PauseAll and ResumeAll) while the route waits for its share of the budget.
type pauser struct {
	mu      sync.Mutex // serializes the calls, so the last word wins
	waiting int
	group   sarama.ConsumerGroup // nil before the group exists
}

// setGroup makes p pause g (nil: nothing to pause any more).
func (p *pauser) setGroup(g sarama.ConsumerGroup) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.group = g
}

// acquire takes n bytes from the lane's share; if they do not fit now, the
// route's partitions are paused until they do.
func (l *lane) acquire(ctx context.Context, n int64) error {
	if l.share.tryAcquire(n) {
		return nil
	}
	p := &l.pause
	p.mu.Lock()
	if p.waiting++; p.waiting == 1 && p.group != nil {
		p.group.PauseAll()
	}
	p.mu.Unlock()
	err := l.share.acquire(ctx, n)
	p.mu.Lock()
	if p.waiting--; p.waiting == 0 && p.group != nil {
		p.group.ResumeAll()
	}
	p.mu.Unlock()
	return err
}
