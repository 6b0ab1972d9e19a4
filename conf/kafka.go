package conf

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/IBM/sarama"
)

// Defaults of the [kafka] section. MaxMessageBytes matches sarama's and sits
// just under the broker's default message.max.bytes (1048588), so a record we
// accept is one the broker accepts.
const (
	DefaultKafkaVersion  = "2.8.0"
	DefaultKafkaClientID = "logpipe"
	DefaultKafkaAcks     = "all"
	// DefaultCompression is none: the app servers' CPU is what logpipe
	// protects, and the cloud topics compress instead (compression.type=zstd,
	// deploy/README.md), so the WAN carries zstd whatever the agents send.
	// make bench (codecs, full speed): the agent spends 1.08 CPU-s per
	// million lines uncompressed, 1.38 with snappy, 1.82 lz4, 3.02 zstd;
	// what it sends to the brokers in its own cloud region is 4× larger.
	DefaultCompression     = "none"
	DefaultMaxMessageBytes = 1_000_000
	DefaultLinger          = 20 * time.Millisecond
	// DefaultBatchBytes trades memory for CPU at high rates. sarama
	// allocates each request twice (its records, then the packet) and a
	// partition queues one batch besides the one in flight, whose records
	// take ~1.7× their wire size: a batch costs ~5× its size of heap,
	// doubled by GC headroom. make bench, one core: 512 → 256 KiB took
	// peak RSS at 35,000 lines/s from 34.4-35.8 to 28.8-30.4 MB, and full
	// speed from 0.83-0.86 to 0.90-0.93 CPU-s per million lines (twice the
	// requests); 128 KiB cost ~20 % more CPU at full speed. Since the
	// daemons release their executable's start-up pages (internal/ops,
	// ~10 MB of RSS), 512 KiB fits the memory targets again: five
	// interleaved pairs against 256 KiB, peak RSS at 7,000 lines/s
	// 16.5-18.2 against 14.1-16.2 MB, at 35,000 19.5-22.1 against
	// 16.7-18.1; CPU medians 2.00 against 2.13 % and 7.13 against 7.26 %.
	// (From 2026-12-06 to this change a partition taking 5 to 32 batches'
	// worth a second cut half batches, for memory at 7,000 lines/s: ~6-15 %
	// more CPU there.)
	DefaultBatchBytes      = 512 << 10
	DefaultRetryBackoff    = 250 * time.Millisecond
	DefaultRetryBackoffMax = 5 * time.Second
	DefaultKafkaTimeout    = 10 * time.Second
	DefaultGroup           = "logtransfer"
	// DefaultIsolationLevel reads every record, aborted transactions' too:
	// no wait for a mirror's transactions to commit.
	DefaultIsolationLevel = "read_uncommitted"
	// ProducerRetryLevels is sarama's Producer.Retry.Max (see Sarama).
	ProducerRetryLevels = 500
)

// Kafka is the [kafka] section, shared by both daemons: logagent produces with
// it, logtransfer consumes (group and isolation_level are read by logtransfer
// only).
type Kafka struct {
	Brokers         []string      `ini:"brokers" delim:","`
	Version         string        `ini:"version"`
	ClientID        string        `ini:"client_id"`
	Acks            string        `ini:"acks"`
	Compression     string        `ini:"compression"`
	Idempotent      bool          `ini:"idempotent"`
	MaxMessageBytes int           `ini:"max_message_bytes"`
	Linger          time.Duration `ini:"linger"`
	BatchBytes      int           `ini:"batch_bytes"`
	RetryBackoff    time.Duration `ini:"retry_backoff"`
	RetryBackoffMax time.Duration `ini:"retry_backoff_max"`
	Timeout         time.Duration `ini:"timeout"`
	Group           string        `ini:"group"`
	// IsolationLevel is what the consumer reads of transactional
	// producers (MirrorMaker 2 with exactly-once): read_uncommitted reads
	// aborted copies too, read_committed waits for their commit.
	IsolationLevel string `ini:"isolation_level"`

	TLSEnable             bool   `ini:"tls_enable"`
	TLSCAFile             string `ini:"tls_ca_file"`
	TLSCertFile           string `ini:"tls_cert_file"`
	TLSKeyFile            string `ini:"tls_key_file"`
	TLSInsecureSkipVerify bool   `ini:"tls_insecure_skip_verify"`

	SASLMechanism string `ini:"sasl_mechanism"`
	SASLUsername  string `ini:"sasl_username"`
	SASLPassword  string `ini:"sasl_password"`
}

// DefaultKafka returns the [kafka] section's defaults.
func DefaultKafka() Kafka {
	return Kafka{
		Brokers:         []string{"127.0.0.1:9092"},
		Version:         DefaultKafkaVersion,
		ClientID:        DefaultKafkaClientID,
		Acks:            DefaultKafkaAcks,
		Compression:     DefaultCompression,
		MaxMessageBytes: DefaultMaxMessageBytes,
		Linger:          DefaultLinger,
		BatchBytes:      DefaultBatchBytes,
		RetryBackoff:    DefaultRetryBackoff,
		RetryBackoffMax: DefaultRetryBackoffMax,
		Timeout:         DefaultKafkaTimeout,
		Group:           DefaultGroup,
		IsolationLevel:  DefaultIsolationLevel,
	}
}

func (k Kafka) tls() TLS {
	return TLS{Enable: k.TLSEnable, CAFile: k.TLSCAFile, CertFile: k.TLSCertFile, KeyFile: k.TLSKeyFile, InsecureSkipVerify: k.TLSInsecureSkipVerify}
}

var compressions = map[string]sarama.CompressionCodec{
	"none": sarama.CompressionNone, "gzip": sarama.CompressionGZIP, "snappy": sarama.CompressionSnappy,
	"lz4": sarama.CompressionLZ4, "zstd": sarama.CompressionZSTD,
}

var isolationLevels = map[string]sarama.IsolationLevel{"read_uncommitted": sarama.ReadUncommitted, "read_committed": sarama.ReadCommitted}

var acks = map[string]sarama.RequiredAcks{"all": sarama.WaitForAll, "-1": sarama.WaitForAll, "1": sarama.WaitForLocal, "0": sarama.NoResponse}

// Validate reports every problem of the section.
func (k Kafka) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, fieldErr("kafka", key, format, args...)) }
	if len(k.Brokers) == 0 {
		bad("brokers", "at least one broker is required")
	}
	for _, b := range k.Brokers {
		if !strings.Contains(b, ":") {
			bad("brokers", "%q: want host:port", b)
		}
	}
	if v, err := sarama.ParseKafkaVersion(k.Version); err != nil {
		bad("version", "%v", err)
	} else if !v.IsAtLeast(sarama.V0_11_0_0) {
		bad("version", "%s: at least 0.11.0 is required for record headers", k.Version)
	}
	if _, ok := acks[k.Acks]; !ok {
		bad("acks", "%q: want all, 1 or 0", k.Acks)
	}
	if _, ok := compressions[k.Compression]; !ok {
		bad("compression", "%q: want none, gzip, snappy, lz4 or zstd", k.Compression)
	}
	if _, ok := isolationLevels[k.IsolationLevel]; !ok {
		bad("isolation_level", "%q: want read_uncommitted or read_committed", k.IsolationLevel)
	}
	if k.Idempotent && acks[k.Acks] != sarama.WaitForAll {
		bad("idempotent", "requires acks = all")
	}
	if k.MaxMessageBytes < 1024 {
		bad("max_message_bytes", "must be at least 1024, got %d", k.MaxMessageBytes)
	}
	if k.Linger < 0 {
		bad("linger", "must not be negative")
	}
	if k.BatchBytes < 0 {
		bad("batch_bytes", "must not be negative")
	}
	if k.RetryBackoff <= 0 || k.RetryBackoffMax < k.RetryBackoff {
		bad("retry_backoff", "want 0 < retry_backoff <= retry_backoff_max")
	}
	if k.Timeout <= 0 {
		bad("timeout", "must be positive")
	}
	switch k.SASLMechanism {
	case "":
	case sarama.SASLTypePlaintext, sarama.SASLTypeSCRAMSHA256, sarama.SASLTypeSCRAMSHA512:
		if k.SASLUsername == "" || k.SASLPassword == "" {
			bad("sasl_username", "sasl_username and sasl_password are required with sasl_mechanism %s", k.SASLMechanism)
		}
	default:
		bad("sasl_mechanism", "%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
	}
	errs = append(errs, k.tls().validate("kafka")...)
	return errors.Join(errs...)
}

// Sarama translates the section into a validated sarama configuration with
// the settings both daemons rely on: record headers (>= 0.11), producer
// successes and errors delivered, and retries that never give up on their own
// (the agent's in-flight budget, not a retry count, bounds what waits).
func (k Kafka) Sarama() (*sarama.Config, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	c := sarama.NewConfig()
	c.ClientID = k.ClientID
	c.Version, _ = sarama.ParseKafkaVersion(k.Version)
	c.Net.DialTimeout = k.Timeout
	c.Net.ReadTimeout = k.Timeout + 5*time.Second
	c.Net.WriteTimeout = k.Timeout
	c.Metadata.Retry.Max = 5
	c.Metadata.Retry.Backoff = k.RetryBackoff

	p := &c.Producer
	p.RequiredAcks = acks[k.Acks]
	p.Compression = compressions[k.Compression]
	p.MaxMessageBytes = k.MaxMessageBytes
	p.Timeout = k.Timeout
	p.Return.Successes = true
	p.Return.Errors = true
	p.Flush.Frequency = k.Linger
	p.Flush.Bytes = k.BatchBytes
	p.Partitioner = sarama.NewHashPartitioner
	// The agent produces through its own batch producer on sarama's client
	// (logagent/produce_*.go), which retries a batch forever in order and
	// reads only acks, compression, timeout and the batch settings here.
	// The rest serves sarama's own producers (logtransfer's dead letters).
	// NOTE: Retry.Max cannot be "infinite": sarama allocates per-partition
	// state for every retry level (Retry.Max+1).
	p.Retry.Max = ProducerRetryLevels
	p.Retry.BackoffFunc = Backoff(k.RetryBackoff, k.RetryBackoffMax)
	// One request in flight per broker keeps a partition's records in
	// order when a batch is retried.
	c.Net.MaxOpenRequests = 1
	p.Idempotent = k.Idempotent

	c.Consumer.Return.Errors = true
	c.Consumer.Offsets.Initial = sarama.OffsetOldest
	c.Consumer.Offsets.AutoCommit.Enable = false
	c.Consumer.IsolationLevel = isolationLevels[k.IsolationLevel]

	tc, err := k.tls().Config()
	if err != nil {
		return nil, fmt.Errorf("kafka tls: %w", err)
	}
	if tc != nil {
		c.Net.TLS.Enable = true
		c.Net.TLS.Config = tc
	}
	if k.SASLMechanism != "" {
		c.Net.SASL.Enable = true
		c.Net.SASL.Mechanism = sarama.SASLMechanism(k.SASLMechanism)
		c.Net.SASL.User = k.SASLUsername
		c.Net.SASL.Password = k.SASLPassword
		c.Net.SASL.Handshake = true
		switch k.SASLMechanism {
		case sarama.SASLTypeSCRAMSHA256:
			c.Net.SASL.SCRAMClientGeneratorFunc = scramClient(sha256Gen)
		case sarama.SASLTypeSCRAMSHA512:
			c.Net.SASL.SCRAMClientGeneratorFunc = scramClient(sha512Gen)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	return c, nil
}

// Backoff returns a capped exponential backoff for sarama's retry hooks.
func Backoff(base, max time.Duration) func(retries, maxRetries int) time.Duration {
	return func(retries, _ int) time.Duration {
		d := base
		for i := 0; i < retries && d < max; i++ {
			d *= 2
		}
		return min(d, max)
	}
}
