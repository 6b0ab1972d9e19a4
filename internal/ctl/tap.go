package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/logpipe/logpipe/internal/check"
	"github.com/logpipe/logpipe/logtransfer"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// tapped is one record as `logctl tap` shows it, and with --route the
// document logtransfer would index for it.
type tapped struct {
	Topic     string            `json:"topic"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Timestamp time.Time         `json:"timestamp"`
	Key       string            `json:"key"`
	Headers   map[string]string `json:"headers"`
	Value     string            `json:"value"`
	Document  *tapDoc           `json:"document,omitempty"`
}

// tapDoc is logtransfer.Preview with its body as JSON, not a string.
type tapDoc struct {
	Index string          `json:"index"`
	ID    string          `json:"_id"`
	Body  json.RawMessage `json:"body"`
}

func runTap(ctx context.Context, c *cli, args []string) error {
	fs := c.flags("logctl tap", "TOPIC | --route NAME [--from newest|oldest] [--limit 10] [--rate 5]",
		"Prints a live sample of the records of TOPIC on the cluster of --brokers (the agents' or\n"+
			"the cloud one) with their lp.* headers. With --route, the topic is the route's and each\n"+
			"record is followed by the document logtransfer would make of it (index, _id, body),\n"+
			"built by logtransfer's own code; nothing is indexed and no offset is committed.\n"+
			"It stops after --limit records, or on Ctrl-C; --rate skips records beyond N per second.")
	route := fs.String("route", "", "show what route NAME would index")
	from := fs.String("from", "newest", "newest (records written from now on) or oldest (from the start)")
	limit := fs.Int("limit", 10, "stop after this many records; 0: only Ctrl-C stops")
	rate := fs.Float64("rate", 0, "print at most this many records per second, skipping the rest; 0: all")
	want := []string{"TOPIC"}
	if hasFlag(args, "route") {
		want = nil
	}
	pos, err := c.parse(fs, args, want...)
	if err != nil {
		return err
	}
	start := sarama.OffsetNewest
	switch *from {
	case "newest":
	case "oldest":
		start = sarama.OffsetOldest
	default:
		return usagef(fs, "--from %q: want newest or oldest", *from)
	}
	if *limit < 0 || *rate < 0 {
		return usagef(fs, "--limit and --rate must not be negative")
	}
	t := tapper{c: c, limit: *limit, rate: *rate}
	topic := ""
	if len(pos) == 1 {
		topic = pos[0]
	}
	if *route != "" {
		if topic, t.preview, err = c.routePreviewer(ctx, *route); err != nil {
			return err
		}
	}
	return t.run(ctx, topic, start)
}

// hasFlag reports whether args set flag name (-name, --name, -name=v).
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		f, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		f = strings.TrimPrefix(f, "-")
		if f == name || strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// routePreviewer reads route name from etcd and returns its topic and
// logtransfer's document builder for it; the [transfer] time zone of a
// logtransfer --config applies.
func (c *cli) routePreviewer(ctx context.Context, name string) (string, func(*sarama.ConsumerMessage) logtransfer.Preview, error) {
	var r logtransfer.Route
	err := c.withEtcd(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		kv, err := store{c, cli}.get(ctx, "route "+name, logtransfer.RouteKey(name))
		if err != nil {
			return err
		}
		if r, err = logtransfer.DecodeRoute(kv.Value); err != nil {
			return refusedError{what: "route " + name, err: err}
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	settings := logtransfer.DefaultSettings()
	if c.conns.Transfer != nil {
		settings = c.conns.Transfer.Transfer
	}
	p, err := logtransfer.Previewer(r, settings)
	return r.Topic, p, err
}

// tapper consumes a topic's partitions and prints what it samples.
type tapper struct {
	c       *cli
	limit   int
	rate    float64
	preview func(*sarama.ConsumerMessage) logtransfer.Preview
}

// run consumes topic from start until the limit or ctx ends; the end of
// ctx (Ctrl-C) is a clean stop, not an error.
func (t tapper) run(ctx context.Context, topic string, start int64) error {
	c := t.c
	client, err := c.kafka()
	if err != nil {
		return c.kafkaErr(err)
	}
	defer client.Close()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return c.kafkaErr(err)
	}
	parts, err := check.Bounded(ctx, func() ([]int32, error) { return consumer.Partitions(topic) })
	if err != nil {
		return c.kafkaErr(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan *sarama.ConsumerMessage)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); consumer.Close() }()
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(topic, p, start)
		if err != nil {
			return c.kafkaErr(fmt.Errorf("%s/%d: %w", topic, p, err))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pc.AsyncClose()
			forward(ctx, pc, msgs, errc)
		}()
	}
	fmt.Fprintf(c.stderr, "tapping %s (%d partitions) from %s; Ctrl-C stops\n", topic, len(parts), startName(start))
	n, skipped := 0, 0
	var next time.Time
	defer func() { fmt.Fprintf(c.stderr, "tapped %d record(s), skipped %d (--rate)\n", n, skipped) }()
	for t.limit == 0 || n < t.limit {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			return c.kafkaErr(err)
		case m := <-msgs:
			if now := time.Now(); t.rate > 0 && now.Before(next) {
				skipped++
				continue
			} else if t.rate > 0 {
				next = now.Add(time.Duration(float64(time.Second) / t.rate))
			}
			n++
			if err := t.print(m); err != nil {
				return err
			}
		}
	}
	return nil
}

// forward hands pc's records to msgs and its first error to errc until
// ctx ends.
func forward(ctx context.Context, pc sarama.PartitionConsumer, msgs chan<- *sarama.ConsumerMessage, errc chan<- error) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-pc.Messages():
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		case err := <-pc.Errors():
			select {
			case errc <- err:
			default:
			}
			return
		}
	}
}

func startName(start int64) string {
	if start == sarama.OffsetOldest {
		return "oldest"
	}
	return "newest"
}

// print writes one record: a JSON line with -o json, else a block.
func (t tapper) print(m *sarama.ConsumerMessage) error {
	r := tapped{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Timestamp: m.Timestamp,
		Key: string(m.Key), Headers: map[string]string{}, Value: string(m.Value)}
	for _, h := range m.Headers {
		if h != nil {
			r.Headers[string(h.Key)] = string(h.Value)
		}
	}
	if t.preview != nil {
		p := t.preview(m)
		r.Document = &tapDoc{Index: p.Index, ID: p.ID, Body: json.RawMessage(p.Body)}
	}
	w := t.c.stdout
	if t.c.asJSON {
		b, err := marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	fmt.Fprintf(w, "%s/%d@%d %s key=%s\n", r.Topic, r.Partition, r.Offset, r.Timestamp.Format(time.RFC3339Nano), orDash(r.Key))
	for _, k := range slices.Sorted(maps.Keys(r.Headers)) {
		fmt.Fprintf(w, "  %s: %s\n", k, r.Headers[k])
	}
	fmt.Fprintf(w, "  value: %s\n", cellCleaner.Replace(r.Value))
	if r.Document != nil {
		fmt.Fprintf(w, "  → index %s _id %s\n    %s\n", r.Document.Index, r.Document.ID, r.Document.Body)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
