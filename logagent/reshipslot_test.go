package logagent

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestReshipFrameYieldsTheSlot: a reship's pass over a large file lets a
// file of its task waiting for the read slot have it every readBurst full
// reads, as a harvester does, instead of after the whole file.
func TestReshipFrameYieldsTheSlot(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	data := strings.Repeat(line, (readBurst+8)*readBufSize/len(line))
	path := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total := int64(len(data) / len(line))

	s := newShares(1, 1<<20) // one slot: the task's share
	share := s.join()
	p := &reshipPlan{f: f, pos: position{Offset: int64(len(data))}}
	ctx := t.Context()
	var framed, grantedAt atomic.Int64
	granted := make(chan struct{})
	_, err = (&reshipRunner{}).frame(ctx, p, share, 0, func(Event) (bool, *blocked, error) {
		if framed.Add(1) == 1 {
			go func() { // another file of the task wants to read
				if share.acquireSlot(ctx) != nil {
					return
				}
				grantedAt.Store(framed.Load())
				share.releaseSlot()
				close(granted)
			}()
			select { // it waits for the slot before the pass goes on
			case <-s.contended():
			case <-time.After(10 * time.Second):
				t.Error("the other file never asked for the slot")
			}
		}
		return false, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-granted:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting file never got the slot")
	}
	if framed.Load() != total {
		t.Fatalf("framed %d lines, want %d", framed.Load(), total)
	}
	if g := grantedAt.Load(); g >= total {
		t.Fatalf("the waiting file got the slot after all %d lines were framed; want it after readBurst reads", total)
	}
	t.Logf("the waiting file got the slot after %d of %d lines", grantedAt.Load(), total)
	if s.inUse != 0 {
		t.Fatalf("%d slots still taken", s.inUse)
	}
}
