package conf

import "sort"

// LastValid turns an etcd snapshot into decoded values, remembering per key
// the last value that decoded and validated. A key whose new value is invalid
// keeps its last valid version, so a bad edit never stops what is running,
// and is reported until it is fixed or deleted. Both daemons use it: agent
// tasks and transfer routes follow the same rule.
type LastValid[T any] struct {
	last map[string]T
}

// NewLastValid returns an empty LastValid.
func NewLastValid[T any]() *LastValid[T] { return &LastValid[T]{last: map[string]T{}} }

// Resolve decodes every key of kvs with decode. It returns the value in force
// for each key (new if valid, else the last valid one, else none) and the
// rejections sorted by key. Keys absent from kvs are forgotten.
func (l *LastValid[T]) Resolve(kvs map[string]string, decode func(key, value string) (T, error)) (map[string]T, []Rejection) {
	out := make(map[string]T, len(kvs))
	var rejected []Rejection
	for k, v := range kvs {
		t, err := decode(k, v)
		if err == nil {
			out[k] = t
			continue
		}
		rejected = append(rejected, Rejection{Key: k, Reason: err.Error()})
		if old, ok := l.last[k]; ok {
			out[k] = old
		}
	}
	l.last = out
	sort.Slice(rejected, func(i, j int) bool { return rejected[i].Key < rejected[j].Key })
	return out, rejected
}
