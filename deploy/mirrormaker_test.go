package deploy_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readProperties parses a Java properties file the way
// java.util.Properties.load does for the syntax MirrorMaker files use:
// # and ! comments, = : or blank separators, backslash line continuations
// and escapes. A later key replaces an earlier one.
func readProperties(t *testing.T, props map[string]string, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		// compose concatenates the files: a missing newline would glue the
		// last line of one to the first of the next.
		t.Errorf("%s: does not end with a newline", path)
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continued(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		key, value := splitProperty(line)
		if key == "" {
			t.Errorf("%s:%d: no key in %q", path, i+1, line)
			continue
		}
		props[key] = value
	}
}

// continued reports whether line ends in an odd number of backslashes.
func continued(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}

func splitProperty(line string) (key, value string) {
	var k strings.Builder
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) {
			i++
			k.WriteByte(unescape(line[i]))
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' {
			break
		}
		k.WriteByte(c)
	}
	rest := strings.TrimLeft(line[i:], " \t")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	var v strings.Builder
	for j := 0; j < len(rest); j++ {
		if rest[j] == '\\' && j+1 < len(rest) {
			j++
			v.WriteByte(unescape(rest[j]))
			continue
		}
		v.WriteByte(rest[j])
	}
	return k.String(), strings.TrimRight(v.String(), " \t")
}

func unescape(c byte) byte {
	switch c {
	case 't':
		return '\t'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 'f':
		return '\f'
	}
	return c
}

// matchesFilter reports whether topic is selected by a MirrorMaker topic
// filter value: a comma-separated list of regular expressions, each matched
// against the whole name.
func matchesFilter(t *testing.T, filter, topic string) bool {
	t.Helper()
	for _, p := range strings.Split(filter, ",") {
		re, err := regexp.Compile(`^(?:` + strings.TrimSpace(p) + `)$`)
		if err != nil {
			t.Errorf("topic filter %q: %v", p, err)
			continue
		}
		if re.MatchString(topic) {
			return true
		}
	}
	return false
}

func TestMirrorMaker(t *testing.T) {
	prod := map[string]string{}
	readProperties(t, prod, filepath.Join("mirrormaker", "mm2.properties"))

	want := map[string]string{
		"clusters":                            "cloud, idc",
		"cloud->idc.enabled":                  "true",
		"idc->cloud.enabled":                  "false",
		"replication.policy.class":            "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
		"sync.group.offsets.enabled":          "true",
		"emit.checkpoints.enabled":            "true",
		"emit.heartbeats.enabled":             "true",
		"idc.exactly.once.source.support":     "enabled",
		"dedicated.mode.enable.internal.rest": "true",
		"idc.producer.acks":                   "all",
		"replication.factor":                  "3",
	}
	for k, v := range want {
		if prod[k] != v {
			t.Errorf("mm2.properties: %s = %q, want %q", k, prod[k], v)
		}
	}
	for _, k := range []string{"refresh.topics.interval.seconds", "emit.checkpoints.interval.seconds", "tasks.max"} {
		if n, err := strconv.Atoi(prod[k]); err != nil || n <= 0 {
			t.Errorf("mm2.properties: %s = %q, want a positive number", k, prod[k])
		}
	}
	if n, _ := strconv.Atoi(prod["refresh.topics.interval.seconds"]); n > 10 {
		t.Errorf("refresh.topics.interval.seconds = %d: a new topic would miss the 10 s budget", n)
	}

	topics, exclude := prod["cloud->idc.topics"], prod["cloud->idc.topics.exclude"]
	for topic, mirrored := range map[string]bool{
		"mglogs": true, "nginx": true,
		"mglogs.dlq": false, "__consumer_offsets": false, "__transaction_state": false,
		"mm2-offsets.cloud.internal": false, "mm2-offset-syncs.idc.internal": false,
	} {
		got := matchesFilter(t, topics, topic) && !matchesFilter(t, exclude, topic)
		if got != mirrored {
			t.Errorf("topic %s: mirrored = %v, want %v (topics %q, exclude %q)", topic, got, mirrored, topics, exclude)
		}
	}

	// The compose stack runs the production file with its overrides
	// appended: the result must point at compose services and ask for no
	// more replicas than one broker has.
	demo := map[string]string{}
	readProperties(t, demo, filepath.Join("mirrormaker", "mm2.properties"))
	readProperties(t, demo, filepath.Join(composeDir, "mm2-compose.properties"))
	c := loadCompose(t)
	for _, cluster := range []string{"cloud", "idc"} {
		for _, bs := range strings.Split(demo[cluster+".bootstrap.servers"], ",") {
			if _, ok := c.Services[hostOf(strings.TrimSpace(bs))]; !ok {
				t.Errorf("compose: %s.bootstrap.servers %q is not a compose service", cluster, bs)
			}
		}
	}
	for k, v := range demo {
		if strings.HasSuffix(k, "replication.factor") && v != "1" {
			t.Errorf("compose: %s = %s on one-broker clusters", k, v)
		}
		if prod[k] != v && !strings.HasSuffix(k, "replication.factor") &&
			!strings.HasSuffix(k, "bootstrap.servers") && k != "tasks.max" && k != "rest.advertised.host.name" {
			t.Errorf("compose overrides %s (%q -> %q): only addresses, replication factors and tasks.max may differ", k, prod[k], v)
		}
	}
	mm := c.Services["mirrormaker"]
	if !strings.Contains(fmt.Sprint(mm.Volumes), "../mirrormaker/mm2.properties:") {
		t.Errorf("mirrormaker does not mount deploy/mirrormaker/mm2.properties: %v", mm.Volumes)
	}
}
