// Command benchsink serves bench.Sink, a minimal Elasticsearch bulk
// endpoint answering every item "created", in a process of its own so that
// `make bench` accounts the indexer's CPU apart from the sink's. It prints
// "addr HOST:PORT" on stdout once it listens and exits on SIGTERM or SIGINT.
//
//	benchsink [-listen 127.0.0.1:0]
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/logpipe/logpipe/internal/bench"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchsink: %v\n", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: bench.NewSink(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("addr %s\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "benchsink: %v\n", err)
		os.Exit(1)
	}
}
