package conf

import (
	"os"

	"github.com/IBM/sarama"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type testSections struct {
	Etcd  Etcd
	Kafka Kafka
	Log   Log
}

func loadString(t *testing.T, body string) (testSections, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.ini")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testSections{Etcd: DefaultEtcd(), Kafka: DefaultKafka(), Log: DefaultLog()}
	err := Load(p, map[string]any{"etcd": &s.Etcd, "kafka": &s.Kafka, "log": &s.Log})
	return s, err
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr []string // substrings, all must appear
		check   func(t *testing.T, s testSections)
	}{
		{
			name: "defaults kept, values parsed",
			body: "[etcd]\nendpoints = a:1, b:2\ndial_timeout = 3s\n[kafka]\nbrokers = k1:9092\nidempotent = true\n",
			check: func(t *testing.T, s testSections) {
				if len(s.Etcd.Endpoints) != 2 || s.Etcd.Endpoints[1] != "b:2" || s.Etcd.DialTimeout != 3*time.Second {
					t.Errorf("etcd = %+v", s.Etcd)
				}
				if !s.Kafka.Idempotent || s.Kafka.Acks != "all" || s.Kafka.Compression != DefaultCompression {
					t.Errorf("kafka = %+v", s.Kafka)
				}
			},
		},
		{
			name: "isolation level",
			body: "[kafka]\nisolation_level = read_committed\n",
			check: func(t *testing.T, s testSections) {
				c, err := s.Kafka.Sarama()
				if err != nil || c.Consumer.IsolationLevel != sarama.ReadCommitted {
					t.Errorf("isolation_level = read_committed gave sarama %v (%v)", c.Consumer.IsolationLevel, err)
				}
			},
		},
		{name: "typo in key", body: "[kafka]\nbroker = x:1\n", wantErr: []string{"kafka.broker: unknown key"}},
		{name: "unknown section", body: "[kafak]\nbrokers = x:1\n", wantErr: []string{"[kafak]: unknown section"}},
		{name: "bad duration", body: "[etcd]\ndial_timeout = soon\n", wantErr: []string{"etcd"}},
		{name: "several problems at once", body: "[kafka]\nacks=2\n[log]\nlevl=debug\n", wantErr: []string{"log.levl: unknown key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadString(t, tt.body)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				tt.check(t, s)
				return
			}
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestKafkaValidate(t *testing.T) {
	k := DefaultKafka()
	k.Acks = "2"
	k.Compression = "brotli"
	k.Version = "0.10.0"
	k.SASLMechanism = "SCRAM-SHA-256"
	k.IsolationLevel = "committed"
	err := k.Validate()
	for _, w := range []string{"kafka.acks:", "kafka.compression:", "kafka.version:", "kafka.sasl_username:", "kafka.isolation_level:"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to report %s", err, w)
		}
	}
	if err := DefaultKafka().Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestKafkaSarama(t *testing.T) {
	k := DefaultKafka()
	k.Idempotent = true
	k.SASLMechanism, k.SASLUsername, k.SASLPassword = "SCRAM-SHA-512", "u", "p"
	c, err := k.Sarama()
	if err != nil {
		t.Fatal(err)
	}
	if c.Consumer.IsolationLevel != sarama.ReadUncommitted {
		t.Errorf("default isolation level %v, want read_uncommitted", c.Consumer.IsolationLevel)
	}
	if !c.Producer.Return.Successes || c.Net.MaxOpenRequests != 1 || c.Net.SASL.SCRAMClientGeneratorFunc == nil {
		t.Errorf("unexpected sarama config: successes=%v maxOpen=%d", c.Producer.Return.Successes, c.Net.MaxOpenRequests)
	}
	if d := Backoff(100*time.Millisecond, time.Second)(10, 0); d != time.Second {
		t.Errorf("backoff not capped: %s", d)
	}
}
