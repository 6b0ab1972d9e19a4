package logagent

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/logpipe/logpipe/conf"
)

// Etcd key layout of the agent. Tasks for one agent live under
// /logagent/<agent-id>/tasks/<name>, tasks for every agent under
// /logagent/all/tasks/<name> (an agent's own task of the same name wins), and
// the classic single key /logagent/<agent-id>/collect_config holds a JSON
// array of {"path","topic"} for users of the well-known course design.
const (
	KeyRoot      = "/logagent/"
	AllAgents    = "all"
	tasksDir     = "/tasks/"
	classicKey   = "/collect_config"
	statusSuffix = "/status"
)

// TaskKey is the etcd key of task name for agent (AllAgents for every agent).
func TaskKey(agent, name string) string { return KeyRoot + agent + tasksDir + name }

// StatusKey is the etcd key where agent publishes its status.
func StatusKey(agent string) string { return KeyRoot + agent + statusSuffix }

// ClassicKey is the etcd key of the course design's collect_config array.
func ClassicKey(agent string) string { return KeyRoot + agent + classicKey }

// watchPrefixes are the prefixes agent follows.
func watchPrefixes(agent string) []string {
	return []string{KeyRoot + agent + "/", KeyRoot + AllAgents + tasksDir}
}

// isTaskKey keeps the keys that define tasks (and reships) for agent, so the agent's own
// status writes never wake its watcher.
func isTaskKey(agent string) func(string) bool {
	own := KeyRoot + agent + tasksDir
	all := KeyRoot + AllAgents + tasksDir
	classic := ClassicKey(agent)
	return func(k string) bool {
		return k == classic || isReshipKey(agent, k) || (strings.HasPrefix(k, own) && len(k) > len(own)) || (strings.HasPrefix(k, all) && len(k) > len(all))
	}
}

// Rejection is an etcd value the agent refused, with the reason.
type Rejection = conf.Rejection

// namedTask is a task with the name it runs under.
type namedTask struct {
	name string
	task Task
	own  bool // agent-specific: wins over /all/ of the same name
}

// classicItem is one element of the collect_config array.
type classicItem struct {
	Path  string `json:"path"`
	Topic string `json:"topic"`
}

// taskResolver turns etcd snapshots into the agent's task set; each key keeps
// its last valid version when an edit is invalid (conf.LastValid).
type taskResolver struct {
	agent   string
	allowed []string
	keys    *conf.LastValid[[]namedTask]
}

func newTaskResolver(agent string, allowed []string) *taskResolver {
	return &taskResolver{agent: agent, allowed: allowed, keys: conf.NewLastValid[[]namedTask]()}
}

// decode turns one key's value into the tasks it defines, with their
// defaults; an error refuses the whole key.
func (r *taskResolver) decode(key, value string) ([]namedTask, error) {
	nts, err := r.read(key, value)
	if err != nil {
		return nil, err
	}
	for i := range nts {
		nts[i].task = nts[i].task.WithDefaults()
	}
	return nts, nil
}

// read returns the tasks one key's value defines, as written, and why the
// agent refuses the key (nil: it runs them). The tasks of a refused key
// are returned too when the value decodes: logctl shows them with the
// reason. One bad collect_config item refuses every item of the key.
func (r *taskResolver) read(key, value string) ([]namedTask, error) {
	own := KeyRoot + r.agent + tasksDir
	if key == ClassicKey(r.agent) {
		var items []classicItem
		if err := json.Unmarshal([]byte(value), &items); err != nil {
			return nil, fmt.Errorf("invalid JSON: want an array of {\"path\",\"topic\"}: %w", err)
		}
		out := make([]namedTask, 0, len(items))
		var bad error
		for i, it := range items {
			t := Task{Path: it.Path, Topic: it.Topic}
			if err := t.Validate(r.allowed); err != nil && bad == nil {
				bad = fmt.Errorf("item %d: %w", i, err)
			}
			out = append(out, namedTask{name: classicName(t), task: t, own: true})
		}
		return out, bad
	}
	t, err := DecodeTask([]byte(value))
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(strings.TrimPrefix(key, own), KeyRoot+AllAgents+tasksDir)
	return []namedTask{{name: name, task: t, own: strings.HasPrefix(key, own)}}, t.Validate(r.allowed)
}

// DecodeKey returns the tasks the value of one of agent's task keys (a
// task, or the collect_config array) defines, in the value's order and as
// written (before defaults), and why the agent refuses the key: nil when it
// runs them. A refused key's tasks are returned too when its value decodes;
// a value that does not decode defines none.
func DecodeKey(agent, key string, value []byte, allowed []string) ([]Task, error) {
	nts, err := newTaskResolver(agent, allowed).read(key, string(value))
	tasks := make([]Task, len(nts))
	for i, nt := range nts {
		tasks[i] = nt.task
	}
	return tasks, err
}

// ParseKey splits an agent key: a task (name set), the collect_config key
// (classic), or neither.
func ParseKey(key string) (agent, name string, classic, ok bool) {
	rest, ok := strings.CutPrefix(key, KeyRoot)
	if !ok {
		return "", "", false, false
	}
	agent, _, _ = strings.Cut(rest, "/")
	if key == ClassicKey(agent) {
		return agent, "", true, true
	}
	name, ok = strings.CutPrefix(key, TaskKey(agent, ""))
	return agent, name, false, ok && name != ""
}

// resolve returns the tasks by name and the rejected keys, sorted by key.
func (r *taskResolver) resolve(snap conf.Snapshot) (map[string]Task, []Rejection) {
	byKey, rejected := r.keys.Resolve(snap.KVs, r.decode)
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tasks := map[string]Task{}
	owned := map[string]bool{}
	for _, k := range keys {
		for _, nt := range byKey[k] {
			if owned[nt.name] && !nt.own {
				continue
			}
			tasks[nt.name] = nt.task
			owned[nt.name] = owned[nt.name] || nt.own
		}
	}
	return tasks, rejected
}

// classicName names a collect_config item by its content, so reordering the
// array does not restart (and re-position) the items.
func classicName(t Task) string { return "collect_config:" + t.Topic + ":" + t.Path }
