package logtransfer

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logpipe/logpipe/internal/esdev"
	"github.com/olivere/elastic/v7"
)

// TestTemplateNeverOverwritesHandEdits: our template is installed, updated
// when the route changes, and left alone once an operator replaced it.
func TestTemplateNeverOverwritesHandEdits(t *testing.T) {
	es := esdev.New()
	if err := es.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	cli, err := elastic.NewClient(elastic.SetURL(es.URL()), elastic.SetSniff(false), elastic.SetHealthcheck(false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tm := newTemplates(cli, filepath.Join(t.TempDir(), "templates.json"), slog.New(slog.DiscardHandler))
	hashOf := func() string {
		resp, err := cli.IndexGetIndexTemplate("logpipe-web").Do(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := resp.IndexTemplates[0].IndexTemplate.Meta["hash"].(string)
		return h
	}
	r := Route{Topic: "web"}.WithDefaults()
	if err := tm.ensure(ctx, "web", r); err != nil {
		t.Fatal(err)
	}
	_, h1 := templateBody("web", r)
	if got := hashOf(); got != h1 {
		t.Fatalf("installed hash %q, want %q", got, h1)
	}
	r.Shards = 3 // a route change: our own older version is replaced
	if err := tm.ensure(ctx, "web", r); err != nil {
		t.Fatal(err)
	}
	_, h2 := templateBody("web", r)
	if got := hashOf(); got != h2 {
		t.Fatalf("after route change hash %q, want %q", got, h2)
	}
	// An operator replaces it by hand (no _meta): never touched again.
	manual := `{"index_patterns":["web-*"],"priority":500,"template":{"settings":{"number_of_shards":7}}}`
	if _, err := cli.IndexPutIndexTemplate("logpipe-web").BodyString(manual).Do(ctx); err != nil {
		t.Fatal(err)
	}
	r.Shards = 5
	if err := tm.ensure(ctx, "web", r); err != nil {
		t.Fatal(err)
	}
	if got := hashOf(); got != "" {
		t.Fatalf("hand-edited template overwritten (hash %q)", got)
	}
	// A hand edit that kept our _meta but not our hash: left alone too.
	edited := `{"index_patterns":["web-*"],"priority":500,"_meta":{"managed_by":"logpipe","hash":"0000"}}`
	if _, err := cli.IndexPutIndexTemplate("logpipe-web").BodyString(edited).Do(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tm.ensure(ctx, "web", r); err != nil {
		t.Fatal(err)
	}
	if got := hashOf(); !strings.HasPrefix(got, "0000") {
		t.Fatalf("edited template overwritten (hash %q)", got)
	}
}
