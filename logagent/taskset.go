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

// isTaskKey keeps the keys that define tasks for agent, so the agent's own
// status writes never wake its watcher.
func isTaskKey(agent string) func(string) bool {
	own := KeyRoot + agent + tasksDir
	all := KeyRoot + AllAgents + tasksDir
	classic := ClassicKey(agent)
	return func(k string) bool {
		return k == classic || (strings.HasPrefix(k, own) && len(k) > len(own)) || (strings.HasPrefix(k, all) && len(k) > len(all))
	}
}

// Rejection is an etcd value the agent refused, with the reason.
type Rejection struct {
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// classicItem is one element of the collect_config array.
type classicItem struct {
	Path  string `json:"path"`
	Topic string `json:"topic"`
}

// taskResolver turns etcd snapshots into the agent's task set. A key whose new
// value is invalid keeps its last valid version, so a bad edit never stops a
// running task; the rejection is reported until the key is fixed or deleted.
type taskResolver struct {
	agent     string
	allowed   []string
	lastValid map[string]Task // by source key (etcd key, or key[i] for collect_config items)
}

func newTaskResolver(agent string, allowed []string) *taskResolver {
	return &taskResolver{agent: agent, allowed: allowed, lastValid: map[string]Task{}}
}

// resolve returns the tasks by name and the rejected keys, sorted by key.
func (r *taskResolver) resolve(snap conf.Snapshot) (map[string]Task, []Rejection) {
	type source struct {
		name string
		task Task
		own  bool // agent-specific: wins over /all/ of the same name
	}
	var rejected []Rejection
	valid := map[string]Task{}
	var sources []source
	accept := func(key, name string, t Task, own bool, err error) {
		if err == nil {
			err = t.Validate(r.allowed)
		}
		if err != nil {
			rejected = append(rejected, Rejection{Key: key, Reason: err.Error()})
			old, ok := r.lastValid[key]
			if !ok {
				return
			}
			t = old
		}
		valid[key] = t
		sources = append(sources, source{name: name, task: t.WithDefaults(), own: own})
	}
	own := KeyRoot + r.agent + tasksDir
	all := KeyRoot + AllAgents + tasksDir
	keys := make([]string, 0, len(snap.KVs))
	for k := range snap.KVs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := []byte(snap.KVs[k])
		switch {
		case k == ClassicKey(r.agent):
			var items []classicItem
			if err := json.Unmarshal(v, &items); err != nil {
				rejected = append(rejected, Rejection{Key: k, Reason: fmt.Sprintf("invalid JSON: want an array of {\"path\",\"topic\"}: %v", err)})
				for lk, t := range r.lastValid {
					if strings.HasPrefix(lk, k+"[") {
						valid[lk] = t
						sources = append(sources, source{name: classicName(t), task: t.WithDefaults(), own: true})
					}
				}
				continue
			}
			for i, it := range items {
				t := Task{Path: it.Path, Topic: it.Topic}
				accept(fmt.Sprintf("%s[%d]", k, i), classicName(t), t, true, nil)
			}
		case strings.HasPrefix(k, own):
			t, err := DecodeTask(v)
			accept(k, strings.TrimPrefix(k, own), t, true, err)
		case strings.HasPrefix(k, all):
			t, err := DecodeTask(v)
			accept(k, strings.TrimPrefix(k, all), t, false, err)
		}
	}
	r.lastValid = valid
	tasks := map[string]Task{}
	owned := map[string]bool{}
	for _, s := range sources {
		if owned[s.name] && !s.own {
			continue
		}
		tasks[s.name] = s.task
		owned[s.name] = owned[s.name] || s.own
	}
	return tasks, rejected
}

// classicName names a collect_config item by its content, so reordering the
// array does not restart (and re-position) the items.
func classicName(t Task) string { return "collect_config:" + t.Topic + ":" + t.Path }
