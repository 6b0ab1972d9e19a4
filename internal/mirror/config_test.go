package mirror

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidateNamesTheField(t *testing.T) {
	ok := DefaultConfig()
	ok.SourceBrokers, ok.TargetBrokers = []string{"cloud:9092"}, []string{"idc:9092"}
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" when valid
	}{
		{"defaults with brokers", func(*Config) {}, ""},
		{"no source", func(c *Config) { c.SourceBrokers = nil }, "mirror.source_brokers: required"},
		{"bad regexp", func(c *Config) { c.Topics = "(" }, "mirror.topics:"},
		{"refresh too short", func(c *Config) { c.TopicRefresh = time.Millisecond }, "mirror.topic_refresh:"},
		{"no batch", func(c *Config) { c.MaxBatchRecords = 0 }, "mirror.max_batch_records:"},
		{"no drain", func(c *Config) { c.DrainTimeout = 0 }, "mirror.drain_timeout:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
