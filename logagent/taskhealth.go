package logagent

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/logpipe/logpipe/conf"
)

// taskLink is what a task's records carry to the producer and back: the
// task's share of the in-flight bytes (released on ack) and its health (set
// by the batch's result). nil in producer tests that feed records directly.
type taskLink struct {
	share  *taskShare
	health *taskHealth
}

// taskHealth is one task's conf.Condition, fed by the producer's results for
// the task's records and by the task's topic watch.
//
// Contract: trouble is called once per failed attempt (a batch, a metadata
// request), never per record; ok once per acked batch. A task with some
// partitions acking and one retrying would flap between running and trouble
// on every retry, logging each flip: a task recovers only once an ack came
// after the last trouble and quiet has passed since it (ok, or settle on the
// task's scan tick when no more acks come).
type taskHealth struct {
	cond   *conf.Condition
	quiet  time.Duration
	last   atomic.Int64 // unix nanos of the last trouble
	lastOK atomic.Int64 // unix nanos of the last ack
}

func (h *taskHealth) trouble(kt kafkaTrouble) {
	h.last.Store(time.Now().UnixNano())
	h.cond.Trouble(kt.state, kt.reason)
}

// ok records an acked batch.
func (h *taskHealth) ok() {
	h.lastOK.Store(time.Now().UnixNano())
	h.settle()
}

// settle recovers the task when it has been quiet (see the contract).
func (h *taskHealth) settle() {
	if h.cond.Health().State == conf.StateRunning {
		return
	}
	last := h.last.Load()
	if h.lastOK.Load() > last && time.Since(time.Unix(0, last)) >= h.quiet {
		h.cond.OK()
	}
}

// recovered ends trouble whose cause is gone (the task's topic exists now).
func (h *taskHealth) recovered() { h.cond.OK() }

// watchTopic reports the resolution of the task's topic to its health until
// the topic's partitions are known or done is closed.
func (t *taskRunner) watchTopic(ctx context.Context, done <-chan struct{}) {
	watchTopic(ctx, t.producer, t.task.Topic, t.link.health, done)
}

// watchTopic reports the resolution of topic to h (a task's or a reship's
// health) until the topic's partitions are known or done is closed.
func watchTopic(ctx context.Context, p *producer, topic string, h *taskHealth, done <-chan struct{}) {
	ts := p.topicState(topic)
	reported := false
	for {
		kt, next := ts.status()
		if kt != nil {
			h.trouble(*kt)
			reported = true
		}
		select {
		case <-ts.ready:
			if reported {
				h.recovered()
			}
			return
		case <-next:
		case <-done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// linkRuns calls f for each run of consecutive records with the same link
// (a batch holds the records of its files in runs), skipping records
// without one.
func linkRuns(recs []*record, f func(l *taskLink, run []*record)) {
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && recs[j].link == recs[i].link {
			j++
		}
		if recs[i].link != nil {
			f(recs[i].link, recs[i:j])
		}
		i = j
	}
}
