// Command naiveagent is the "tuned naive Go agent" peer of `make bench`: what
// a Go developer writes in an afternoon to follow one file into Kafka, with
// the obvious tuning — a 1 MiB bufio.Reader, sarama's AsyncProducer with lz4,
// acks=all, batches of up to 1 MiB flushed every 50 ms, successes not
// returned. It keeps no positions and does not survive rotation: it is a
// yardstick for CPU and memory, not a shipper.
//
//	naiveagent -file app.log -broker 127.0.0.1:9092 -topic t
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/IBM/sarama"
)

func main() {
	file := flag.String("file", "", "file to follow from its start")
	broker := flag.String("broker", "", "Kafka broker host:port")
	topic := flag.String("topic", "", "topic to produce to")
	flag.Parse()
	if err := run(*file, *broker, *topic); err != nil {
		fmt.Fprintf(os.Stderr, "naiveagent: %v\n", err)
		os.Exit(1)
	}
}

func run(file, broker, topic string) error {
	cfg := sarama.NewConfig()
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Compression = sarama.CompressionLZ4
	cfg.Producer.Flush.Bytes = 1 << 20
	cfg.Producer.Flush.Frequency = 50 * time.Millisecond
	cfg.Producer.Return.Successes = false
	cfg.Producer.Return.Errors = true
	p, err := sarama.NewAsyncProducer([]string{broker}, cfg)
	if err != nil {
		return err
	}
	go func() {
		for err := range p.Errors() {
			fmt.Fprintf(os.Stderr, "naiveagent: produce: %v\n", err)
		}
	}()
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	r := bufio.NewReaderSize(f, 1<<20)
	var partial []byte
	for {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			partial = append(partial, line...)
			select {
			case <-stop:
				p.Close()
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return err
		}
		if len(partial) > 0 {
			line = append(partial, line...)
			partial = nil
		}
		p.Input() <- &sarama.ProducerMessage{Topic: topic, Value: sarama.ByteEncoder(line[:len(line)-1])}
	}
}
