// Package deploy_test checks the files under deploy/ without running them:
// nothing here can start a container, so the test asserts what a broken
// deployment would trip over first. The compose stack names every service
// and pins every image; the daemons' ini files load with the daemons' own
// strict loaders; the sample etcd task and route decode with the daemons'
// decoders; MirrorMaker 2 keeps topic names; every metric the dashboard
// and the alerts query exists; the Kibana objects import; the systemd
// units verify.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/logpipe/logpipe/logagent"
	"github.com/logpipe/logpipe/logtransfer"
)

// requiredServices are the compose services the README and the other files
// refer to by name.
var requiredServices = []string{
	"kafka-cloud", "kafka-idc", "mirrormaker", "etcd", "etcd-init", "topics-init",
	"elasticsearch", "kibana", "kibana-init", "prometheus", "grafana", "logagent", "logtransfer",
}

const composeDir = "compose"

// composeFile is the part of compose.yaml the tests look at.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image     string        `yaml:"image"`
	Build     *composeBuild `yaml:"build"`
	Volumes   []string      `yaml:"volumes"`
	DependsOn dependsOn     `yaml:"depends_on"`
}

// dependsOn is depends_on in either compose form: a list of names or a map
// of name to condition.
type dependsOn []string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		return n.Decode((*[]string)(d))
	case yaml.MappingNode:
		for i := 0; i < len(n.Content); i += 2 {
			*d = append(*d, n.Content[i].Value)
		}
		return nil
	}
	return fmt.Errorf("line %d: depends_on: want a list or a map", n.Line)
}

type composeBuild struct {
	Context          string `yaml:"context"`
	Dockerfile       string `yaml:"dockerfile"`
	DockerfileInline string `yaml:"dockerfile_inline"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	readYAML(t, filepath.Join(composeDir, "compose.yaml"), &c)
	return c
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	for _, name := range requiredServices {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("compose.yaml: service %q missing", name)
		}
	}
	for name, s := range c.Services {
		if s.Image == "" && s.Build == nil {
			t.Errorf("service %s: neither image nor build", name)
		}
		for _, dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("service %s: depends on unknown service %q", name, dep)
			}
		}
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(composeDir, src)); err != nil {
					t.Errorf("service %s: bind mount source %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok && !strings.HasPrefix(src, "/") {
				t.Errorf("service %s: named volume %q not declared under volumes:", name, src)
			}
		}
		if b := s.Build; b != nil && b.Dockerfile != "" {
			if _, err := os.Stat(filepath.Join(composeDir, b.Context, b.Dockerfile)); err != nil {
				t.Errorf("service %s: build: %v", name, err)
			}
		}
	}
	// The daemons read the ini files this package checks.
	for svc, ini := range map[string]string{"logagent": "./logagent.ini", "logtransfer": "./logtransfer.ini"} {
		if !slices.ContainsFunc(c.Services[svc].Volumes, func(v string) bool { return strings.HasPrefix(v, ini+":") }) {
			t.Errorf("service %s does not mount %s", svc, ini)
		}
	}
}

func TestImagesPinned(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Image != "" {
			checkPinned(t, "service "+name, s.Image)
		}
		if s.Build != nil && s.Build.DockerfileInline != "" {
			for _, img := range fromImages(s.Build.DockerfileInline) {
				checkPinned(t, "service "+name+" dockerfile_inline", img)
			}
		}
	}
	df, err := os.ReadFile(filepath.Join("docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	imgs := fromImages(string(df))
	if len(imgs) < 2 {
		t.Errorf("docker/Dockerfile: want a multi-stage build, got FROM %v", imgs)
	}
	for _, img := range imgs {
		checkPinned(t, "docker/Dockerfile", img)
	}
	if !regexp.MustCompile(`(?m)^USER\s+\S+`).Match(df) || regexp.MustCompile(`(?m)^USER\s+(root|0)(:|\s|$)`).Match(df) {
		t.Error("docker/Dockerfile: the runtime stage must set a non-root USER")
	}
}

// fromImages lists the images of a Dockerfile's FROM lines, leaving out
// references to earlier stages and scratch.
func fromImages(dockerfile string) []string {
	var imgs []string
	stages := map[string]bool{"scratch": true}
	for _, line := range strings.Split(dockerfile, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.EqualFold(f[0], "FROM") {
			continue
		}
		f = slices.DeleteFunc(f[1:], func(s string) bool { return strings.HasPrefix(s, "--") })
		if !stages[strings.ToLower(f[0])] {
			imgs = append(imgs, f[0])
		}
		if len(f) == 3 && strings.EqualFold(f[1], "AS") {
			stages[strings.ToLower(f[2])] = true
		}
	}
	return imgs
}

// checkPinned fails unless ref names a tag other than latest or a digest.
func checkPinned(t *testing.T, where, ref string) {
	t.Helper()
	if strings.Contains(ref, "@sha256:") {
		return
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(name, ":")
	switch {
	case !ok || tag == "":
		t.Errorf("%s: image %q has no tag", where, ref)
	case tag == "latest" || strings.Contains(tag, "$"):
		t.Errorf("%s: image %q is not pinned", where, ref)
	}
}

// TestIniFiles loads every ini file under deploy/ with the loader of the
// daemon it is for, and checks the addresses name compose services.
func TestIniFiles(t *testing.T) {
	c := loadCompose(t)
	paths, err := filepath.Glob(filepath.Join("*", "*.ini"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no ini files under deploy/: %v", err)
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			var hosts []string
			switch base := filepath.Base(p); {
			case strings.HasPrefix(base, "logagent"):
				cfg, err := logagent.LoadConfig(p)
				if err != nil {
					t.Fatal(err)
				}
				hosts = append(append(hosts, cfg.Kafka.Brokers...), cfg.Etcd.Endpoints...)
				checkListen(t, cfg.HTTP.Listen)
			case strings.HasPrefix(base, "logtransfer"):
				cfg, err := logtransfer.LoadConfig(p)
				if err != nil {
					t.Fatal(err)
				}
				hosts = append(append(append(hosts, cfg.Kafka.Brokers...), cfg.Etcd.Endpoints...), cfg.Elasticsearch.URLs...)
				checkListen(t, cfg.HTTP.Listen)
			default:
				t.Fatalf("%s: name it logagent*.ini or logtransfer*.ini so it is checked", p)
			}
			if filepath.Dir(p) != composeDir {
				return
			}
			for _, h := range hosts {
				if _, ok := c.Services[hostOf(h)]; !ok {
					t.Errorf("address %q is not a compose service", h)
				}
			}
		})
	}
}

// checkListen: inside a container /metrics must listen on all interfaces,
// or Prometheus cannot scrape it.
func checkListen(t *testing.T, listen string) {
	t.Helper()
	host, _, err := net.SplitHostPort(listen)
	if err != nil || (host != "" && host != "0.0.0.0" && host != "::") {
		t.Errorf("http.listen = %q: want 0.0.0.0:<port> in a container", listen)
	}
}

func hostOf(addr string) string {
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		return u.Hostname()
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// TestEtcdSeed decodes the sample task and route the etcd-init service puts,
// with the daemons' own decoders, under the keys the daemons watch.
func TestEtcdSeed(t *testing.T) {
	agent, err := logagent.LoadConfig(filepath.Join(composeDir, "logagent.ini"))
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(composeDir, "etcd", "init.sh"))
	if err != nil {
		t.Fatal(err)
	}
	puts := regexp.MustCompile(`(?m)^put_once (\S+) /seed/(\S+)$`).FindAllSubmatch(script, -1)
	var taskTopic, routeTopic string
	for _, m := range puts {
		key, file := string(m[1]), string(m[2])
		raw, err := os.ReadFile(filepath.Join(composeDir, "etcd", file))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case key == logagent.TaskKey("all", strings.TrimPrefix(key, "/logagent/all/tasks/")):
			task, err := logagent.DecodeTask(raw)
			if err == nil {
				err = task.Validate(agent.Agent.AllowedPaths)
			}
			if err != nil {
				t.Errorf("%s (%s): %v", key, file, err)
			}
			taskTopic = task.Topic
		case key == logtransfer.RouteKey(strings.TrimPrefix(key, "/logtransfer/routes/")):
			route, err := logtransfer.DecodeRoute(raw)
			if err != nil {
				t.Errorf("%s (%s): %v", key, file, err)
			}
			routeTopic = route.Topic
			if !strings.HasPrefix(route.Index, "mglogs-") {
				t.Errorf("%s: index %q is outside the Kibana pattern mglogs-*", key, route.Index)
			}
		default:
			t.Errorf("init.sh puts %s: not a task or route key", key)
		}
	}
	if taskTopic == "" || taskTopic != routeTopic {
		t.Errorf("sample task topic %q and route topic %q: want one topic end to end", taskTopic, routeTopic)
	}
}

func TestKibanaSavedObjects(t *testing.T) {
	f, err := os.Open(filepath.Join("kibana", "saved_objects.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type object struct {
		ID         string         `json:"id"`
		Type       string         `json:"type"`
		Attributes map[string]any `json:"attributes"`
		References []struct{ ID, Type, Name string }
	}
	ids := map[string]string{}
	var objs []object
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var o object
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if o.Type == "" { // the export summary line
			continue
		}
		ids[o.ID] = o.Type
		objs = append(objs, o)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var pattern, search bool
	for _, o := range objs {
		for _, r := range o.References {
			if ids[r.ID] != r.Type {
				t.Errorf("%s %s: reference to %s %s not in the file", o.Type, o.ID, r.Type, r.ID)
			}
		}
		switch o.Type {
		case "index-pattern":
			pattern = o.Attributes["title"] == "mglogs-*" && o.Attributes["timeFieldName"] == "@timestamp"
		case "search":
			cols := fmt.Sprint(o.Attributes["columns"])
			search = cols == "[host.name log.file.path message]"
			meta, _ := o.Attributes["kibanaSavedObjectMeta"].(map[string]any)
			src, _ := meta["searchSourceJSON"].(string)
			if !json.Valid([]byte(src)) {
				t.Errorf("search %s: searchSourceJSON is not JSON: %q", o.ID, src)
			}
		}
	}
	if !pattern || !search {
		t.Errorf("want an index pattern mglogs-* on @timestamp (%v) and a search with host.name, log.file.path, message (%v)", pattern, search)
	}
}

// TestSystemdUnits runs systemd-analyze verify on both units. The binaries
// are not installed here, so "is not executable" is the one complaint
// allowed.
func TestSystemdUnits(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not on PATH")
	}
	units, _ := filepath.Glob(filepath.Join("systemd", "*.service"))
	if len(units) != 2 {
		t.Fatalf("want the two units, got %v", units)
	}
	for _, u := range units {
		abs, _ := filepath.Abs(u)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		out, _ := exec.CommandContext(ctx, tool, "verify", abs).CombinedOutput() // exits 1 for the missing binary
		cancel()
		base := filepath.Base(u)
		for _, line := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
			if strings.Contains(line, base) && !strings.Contains(line, "is not executable") {
				t.Errorf("%s: %s", u, line)
			}
		}
	}
}
