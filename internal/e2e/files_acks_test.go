//go:build linux

package e2e

import (
	"sync"

	"github.com/logpipe/logpipe/internal/devstack"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// holdAcks makes k hold every produce request until release is called,
// then answer them as usual: no error, no retry, nothing reordered. The
// agent's lines stay in flight meanwhile, and once its byte budget is
// spent it stops reading, so lines written then wait unread in the files.
func holdAcks(k *devstack.Kafka) (release func()) {
	gate := make(chan struct{})
	c := k.Cluster()
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case <-gate:
			c.DropControl()
		default:
			c.KeepControl()
			c.SleepControl(func() { <-gate })
		}
		return nil, nil, false // not handled: the cluster answers it
	})
	return sync.OnceFunc(func() { close(gate) })
}
