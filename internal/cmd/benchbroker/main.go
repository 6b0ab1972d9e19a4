// Command benchbroker runs a Kafka-protocol broker (kfake) in a process of
// its own, so `make bench` can account CPU to the broker and to the daemons
// separately and can kill the broker and bring it back on the same port with
// its records. It prints "addr HOST:PORT" on stdout once it listens and
// exits on SIGTERM or SIGINT (closing its data directory cleanly).
//
//	benchbroker -data-dir /tmp/kafka [-port 0] [-partitions 4]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory the broker persists its records in (required)")
	port := flag.Int("port", 0, "port on 127.0.0.1; 0 picks a free one")
	partitions := flag.Int("partitions", 4, "partitions of auto-created topics")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "benchbroker: -data-dir is required")
		os.Exit(2)
	}
	c, err := kfake.NewCluster(
		kfake.Ports(*port),
		kfake.NumBrokers(1),
		kfake.DataDir(*dataDir),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(*partitions),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchbroker: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("addr %s\n", c.ListenAddrs()[0])
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	c.Close()
}
