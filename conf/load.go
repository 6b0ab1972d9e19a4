// Package conf loads logpipe's ini files into plain structs, validates them, and
// holds what both daemons share: the [etcd], [kafka], [http] and [log] sections,
// the translation of [kafka] into a sarama configuration, and the etcd watch
// recipe both daemons use to follow their keys.
//
// Every section is a struct with `ini:"key"` tags, a Default constructor and a
// Validate method that reports every problem as "section.key: reason".
// Unknown sections and keys are errors: a typo in a key must never be silently
// ignored and leave a default in force.
package conf

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/ini.v1"
)

// Validator is implemented by every section struct.
type Validator interface {
	Validate() error
}

// Load reads the ini file at path into sections, keyed by section name. Each
// value must be a pointer to a struct already holding its defaults; keys absent
// from the file keep them. Unknown sections or keys, and values that do not
// parse, are reported together, each as "section.key: reason". Load does not
// call Validate: callers validate the whole config once it is assembled.
func Load(path string, sections map[string]any) error {
	f, err := ini.LoadSources(ini.LoadOptions{
		// Keys are matched exactly, so "Brokers" is a typo, not an alias.
		SpaceBeforeInlineComment: true,
	}, path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var errs []error
	for _, s := range f.Sections() {
		name := s.Name()
		if name == ini.DefaultSection {
			for _, k := range s.Keys() {
				errs = append(errs, fmt.Errorf("%s: key outside any section", k.Name()))
			}
			continue
		}
		dst, ok := sections[name]
		if !ok {
			errs = append(errs, fmt.Errorf("[%s]: unknown section (known: %s)", name, strings.Join(sortedKeys(sections), ", ")))
			continue
		}
		known := iniKeys(dst)
		for _, k := range s.Keys() {
			if !known[k.Name()] {
				errs = append(errs, fmt.Errorf("%s.%s: unknown key", name, k.Name()))
			}
		}
		if err := s.StrictMapTo(dst); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s: %w", path, errors.Join(errs...))
	}
	return nil
}

// iniKeys lists the ini keys a section struct accepts, from its `ini` tags.
func iniKeys(v any) map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("ini"), ",")[0]
		switch {
		case tag == "-":
		case tag != "":
			keys[tag] = true
		case f.IsExported():
			keys[f.Name] = true
		}
	}
	return keys
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// fieldErr formats one validation problem as "section.key: reason".
func fieldErr(section, key, format string, args ...any) error {
	return fmt.Errorf("%s.%s: %s", section, key, fmt.Sprintf(format, args...))
}
