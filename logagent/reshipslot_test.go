package logagent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestReshipFrameYieldsTheSlot: a reship's pass over a large file lets a
// file of its task waiting for the read slot have it every readBurst full
// reads, as a harvester does, instead of after the whole file.
func TestReshipFrameYieldsTheSlot(t *testing.T) {
	line := strings.Repeat("x", 99) + "\n"
	data := strings.Repeat(line, (readBurst+8)*readBufSize/len(line))
	f := openWritten(t, data)
	total := int64(len(data) / len(line))

	s := newShares(1, 1<<20) // one slot: the task's share
	share := s.join()
	p := &reshipPlan{f: f, pos: position{Offset: int64(len(data))}}
	ctx := t.Context()
	var framed, grantedAt atomic.Int64
	granted := make(chan struct{})
	_, err := (&reshipRunner{}).frame(ctx, p, share, 0, func(Event) (bool, *blocked, error) {
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

// TestReshipFrameNeverTimesOutAnEvent: a reship frames lines already
// written up to the saved position, so a multiline event it is joining
// ends at its next first line or at the position, never by its timeout —
// even when the pass waited for the read slot longer than the timeout with
// the event pending and the next read holds no whole line. A split there
// would ship the event's head and tail under ids the harvester never gave.
func TestReshipFrameNeverTimesOutAnEvent(t *testing.T) {
	// In a bubble: the slot is held past the timeout in fake time.
	synctest.Test(t, func(t *testing.T) { reshipNeverTimesOut(t) })
}

func reshipNeverTimesOut(t *testing.T) {
	const timeout = 20 * time.Millisecond
	var b strings.Builder
	b.WriteString("START 0\nSTART 1\n")
	short := strings.Repeat("x", 99) + "\n"
	boundary := readBurst * readBufSize // where the pass hands its slot over
	for b.Len() < boundary-len(short) {
		b.WriteString(short)
	}
	// A continuation line from before the hand-over to past the next
	// read's end: that read completes no line.
	b.WriteString(strings.Repeat("y", 2*readBufSize) + "\n")
	b.WriteString(short)
	b.WriteString("START 2\n")
	data := b.String()
	f := openWritten(t, data)

	s := newShares(1, 1<<20)
	share := s.join()
	p := &reshipPlan{f: f, pos: position{Offset: int64(len(data))}, framer: FramerConfig{
		MaxLineBytes: 4 * readBufSize,
		Multiline:    &Multiline{Pattern: `^START`, Negate: true, Match: "after", Timeout: Duration(timeout)},
	}}
	ctx := t.Context()
	var starts []int64
	_, err := (&reshipRunner{}).frame(ctx, p, share, 0, func(ev Event) (bool, *blocked, error) {
		starts = append(starts, ev.Offset)
		if len(starts) == 1 {
			go func() { // holds the slot, past the timeout, at the hand-over
				if share.acquireSlot(ctx) != nil {
					return
				}
				time.Sleep(5 * timeout)
				share.releaseSlot()
			}()
			select {
			case <-s.contended():
			case <-time.After(10 * time.Second):
				t.Error("the other reader never asked for the slot")
			}
		}
		return false, nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 8, int64(strings.Index(data, "START 2"))}
	if !slices.Equal(starts, want) {
		t.Fatalf("events start at %v, want %v", starts, want)
	}
}

// openWritten writes data to a new file and opens it for reading; the
// test closes it.
func openWritten(t *testing.T, data string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
