package esdev_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logpipe/logpipe/internal/esdev"
)

// TestRetentionKeepsNewestDocs: with MaxDocs the stand-in keeps the newest
// documents over all indices and tells the hook, oldest first, what it
// dropped, with the _doc sort value a search returned for it.
// Elasticsearch has no such bound (its ILM delete phase removes whole
// indices); the stand-in's is for the demo's bounded memory.
//
//	https://www.elastic.co/guide/en/elasticsearch/reference/7.17/ilm-delete.html
func TestRetentionKeepsNewestDocs(t *testing.T) {
	var mu sync.Mutex
	var gone []string
	s := startServer(t, esdev.WithRetention(esdev.Retention{MaxDocs: 3}, func(docs []esdev.Expired) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range docs {
			gone = append(gone, fmt.Sprintf("%s/%s@%d %s", d.Index, d.ID, d.Seq, d.Source))
		}
	}))
	// Two requests, so that the documents of "b" are younger than those of
	// "a" (one request writes all its documents at the same instant).
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"n":1}`, `{"create":{"_index":"a","_id":"2"}}`, `{"n":2}`)
	bulk(t, s.URL(), `{"create":{"_index":"b","_id":"3"}}`, `{"n":3}`, `{"create":{"_index":"b","_id":"4"}}`, `{"n":4}`,
		`{"create":{"_index":"b","_id":"5"}}`, `{"n":5}`)
	mu.Lock()
	got := strings.Join(gone, ", ")
	mu.Unlock()
	if want := `a/1@0 {"n":1}, a/2@1 {"n":2}`; got != want {
		t.Errorf("expired %q, want %q", got, want)
	}
	if s.Count("*") != 3 || s.Count("a") != 0 || s.Stats().Expired != 2 {
		t.Errorf("kept %d (a: %d), Stats.Expired %d; want 3 (a: 0), 2", s.Count("*"), s.Count("a"), s.Stats().Expired)
	}
	do(t, http.MethodPost, s.URL()+"/_refresh", "")
	if n := count(t, s.URL(), "a,b"); n != 3 {
		t.Errorf("_count after a refresh = %d, want the 3 kept", n)
	}
	// An emptied index stays; a re-delivery of an expired id is a new
	// document, as if the first had never been written.
	wantItems(t, bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{"n":1}`), "201") // create of an expired id
	if _, ok := s.Doc("b", "3"); ok {
		t.Error("b/3 is still there: the create of a/1 made it the oldest of 4")
	}
}

// TestRetentionMaxAge: MaxAge drops, at the next write, what was written
// longer ago.
func TestRetentionMaxAge(t *testing.T) {
	s := startServer(t, esdev.WithRetention(esdev.Retention{MaxAge: time.Nanosecond}, nil))
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"1"}}`, `{}`, `{"create":{"_index":"a","_id":"2"}}`, `{}`)
	if s.Count("a") != 2 {
		t.Fatalf("kept %d of one request's documents, want 2: they are as old as the write", s.Count("a"))
	}
	bulk(t, s.URL(), `{"create":{"_index":"a","_id":"3"}}`, `{}`)
	if _, ok := s.Doc("a", "3"); !ok || s.Count("a") != 1 || s.Stats().Expired != 2 {
		t.Fatalf("kept %d, Stats.Expired %d; want only the newest, 2 expired", s.Count("a"), s.Stats().Expired)
	}
}
