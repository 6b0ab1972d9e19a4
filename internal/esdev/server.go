package esdev

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// maxContentLength is Elasticsearch's default http.max_content_length.
const maxContentLength = 100 << 20

// Server is an in-memory Elasticsearch-API stand-in: an HTTP server that
// answers the subset of the Elasticsearch 7 REST API in the package
// documentation. It is not Elasticsearch. All methods are safe for
// concurrent use.
type Server struct {
	log       *slog.Logger
	onRefresh RefreshFunc
	keep      Retention  // WithRetention
	onExpire  ExpireFunc // WithRetention
	table     []route

	mu           sync.RWMutex // guards the data below
	indices      map[string]*index
	templates    map[string]*template
	noAutoCreate bool // action.auto_create_index false

	faults  faults
	statsMu sync.Mutex
	stats   Stats

	lifeMu sync.Mutex // guards the listener below
	srv    *http.Server
	served chan struct{} // closed when srv.Serve returns
	addr   string        // host:port of the first Start, reused by Restart
}

// Option configures a Server.
type Option func(*Server)

// RefreshFunc is told, after each refresh of an index, the time of the
// refresh and the _source of every document it made searchable.
type RefreshFunc func(index string, at time.Time, sources []json.RawMessage)

// WithLogger sets the logger for lifecycle events (Info) and one line per
// request (Debug). The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) { s.log = l.With("component", "esdev") }
}

// WithOnRefresh installs fn, called outside the server's locks after every
// refresh that made documents searchable: how the demo measures "write to
// searchable".
func WithOnRefresh(fn RefreshFunc) Option { return func(s *Server) { s.onRefresh = fn } }

// New returns a stopped Server with no indices. Use Start to listen, or
// Handler to embed it in another server.
func New(opts ...Option) *Server {
	s := &Server{log: slog.New(slog.DiscardHandler), indices: map[string]*index{}, templates: map[string]*template{}}
	for _, o := range opts {
		o(s)
	}
	s.table = s.routeTable()
	return s
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background
// until Close. The chosen address is kept for URL and Restart.
func (s *Server) Start(addr string) error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.srv != nil {
		return errors.New("esdev: already started")
	}
	s.addr = addr
	return s.listenLocked()
}

// Restart simulates the server going down and coming back: it closes the
// listener and open connections if running, then listens again on the same
// address. Indexed data and templates are kept.
func (s *Server) Restart() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.addr == "" {
		return errors.New("esdev: restart before start")
	}
	s.closeLocked()
	return s.listenLocked()
}

// Close stops listening and closes open connections, so clients see
// connection errors. Data stays in memory for Restart and the inspection
// methods. Closing a stopped Server does nothing.
func (s *Server) Close() error {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.closeLocked()
	return nil
}

// URL returns the base URL, "http://127.0.0.1:PORT", or "" before Start.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.srv == nil && s.addr == "" {
		return ""
	}
	return "http://" + s.addr
}

// Handler returns the HTTP handler, for embedding the stand-in in another
// server or an httptest.Server.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) listenLocked() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("esdev: listening: %w", err)
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.served = make(chan struct{})
	go func(srv *http.Server, served chan struct{}) {
		defer close(served)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serving stopped", "addr", ln.Addr().String(), "err", err)
		}
	}(s.srv, s.served)
	s.log.Info("listening", "url", "http://"+s.addr)
	return nil
}

func (s *Server) closeLocked() {
	if s.srv != nil {
		_ = s.srv.Close() // only the listener's close error, which Serve reports
		<-s.served
		s.srv = nil
		s.log.Info("closed", "url", "http://"+s.addr)
	}
}

// serveHTTP applies the scripted delay and the body size limit, then
// routes. Compressed request bodies are refused: logpipe never sends them.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-time.After(s.faults.get().delay):
	case <-r.Context().Done():
		return
	}
	defer func() {
		// A bug in the stand-in must not look like a network failure to the
		// client under test: answer 500 with the panic and log the stack.
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			s.log.Error("handler panic", "uri", r.URL.RequestURI(), "panic", v, "stack", string(debug.Stack()))
			s.writeError(w, r, failf(http.StatusInternalServerError, "exception", "esdev stand-in internal error: %v", v))
		}
	}()
	if ce := r.Header.Get("Content-Encoding"); ce != "" && ce != "identity" {
		s.writeError(w, r, unsupported("Content-Encoding [%s]", ce))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxContentLength)
	s.route(w, r)
}

// BasicAuth wraps h (usually Server.Handler) so that only requests with
// user's password get through, as a secured cluster's HTTP layer would;
// others get 401 and count in denied (which may be nil).
func BasicAuth(user, pass string, h http.Handler, denied *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || subtle.ConstantTimeCompare([]byte(p), []byte(pass)) != 1 {
			if denied != nil {
				denied.Add(1)
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="esdev"`)
			http.Error(w, `{"error":"unauthenticated","status":401}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
