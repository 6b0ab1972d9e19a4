package conf

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestESTraceLogRedactsCredentials(t *testing.T) {
	var buf bytes.Buffer
	l := esLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), level: slog.LevelDebug, redact: true}
	l.Printf("%s", "POST /_bulk HTTP/1.1\r\nHost: es\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n")
	if strings.Contains(buf.String(), "dXNlcjpzZWNyZXQ") {
		t.Fatalf("credentials logged: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "[redacted]") {
		t.Fatalf("no redaction marker: %s", buf.String())
	}
}

func TestElasticsearchValidateNamesKeys(t *testing.T) {
	e := DefaultElasticsearch()
	e.URLs = []string{"es:9200"}
	e.Workers = 0
	e.Username = "u"
	err := e.Validate()
	for _, want := range []string{"elasticsearch.urls", "elasticsearch.workers", "elasticsearch.username"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}
