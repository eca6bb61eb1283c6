package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// optionKind says what value an allowed pg_dump option takes.
type optionKind int

const (
	flagOnly  optionKind = iota // --name
	withValue                   // --name=value, value checked by its pattern
)

type allowedOption struct {
	kind  optionKind
	value *regexp.Regexp // for withValue: the whole value must match
}

var patternValue = regexp.MustCompile(`^[^\x00]+$`)

// dumpOptions is the allow-list of extra pg_dump options. Everything that
// changes where or in which format the dump goes (--file, --format, --jobs,
// --dbname, --host ...), that would run code (--snapshot of another session is
// harmless but useless here) or that would make the dump incomplete for a
// restore (--section, --data-only, --schema-only) is absent on purpose.
var dumpOptions = map[string]allowedOption{
	"--no-privileges":           {kind: flagOnly},
	"--no-acl":                  {kind: flagOnly},
	"--no-comments":             {kind: flagOnly},
	"--no-publications":         {kind: flagOnly},
	"--no-subscriptions":        {kind: flagOnly},
	"--no-security-labels":      {kind: flagOnly},
	"--no-tablespaces":          {kind: flagOnly},
	"--no-table-access-method":  {kind: flagOnly},
	"--no-toast-compression":    {kind: flagOnly},
	"--no-unlogged-table-data":  {kind: flagOnly},
	"--no-blobs":                {kind: flagOnly},
	"--quote-all-identifiers":   {kind: flagOnly},
	"--serializable-deferrable": {kind: flagOnly},
	"--load-via-partition-root": {kind: flagOnly},
	"--enable-row-security":     {kind: flagOnly},
	"--compress":                {kind: withValue, value: regexp.MustCompile(`^[0-9]$`)},
	"--lock-wait-timeout":       {kind: withValue, value: regexp.MustCompile(`^[0-9]+(ms|s|min)?$`)},
	"--extra-float-digits":      {kind: withValue, value: regexp.MustCompile(`^-?[0-9]{1,2}$`)},
	"--schema":                  {kind: withValue, value: patternValue},
	"--exclude-schema":          {kind: withValue, value: patternValue},
	"--exclude-table-data":      {kind: withValue, value: patternValue},
}

func allowedOptionNames() []string {
	names := make([]string, 0, len(dumpOptions))
	for n, o := range dumpOptions {
		if o.kind == withValue {
			n += "=…"
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// parseDumpOptions turns the field's value into pg_dump arguments, refusing
// anything not on the allow-list. Each option is one argument in --name=value
// form, so a value can never be taken for another option.
func parseDumpOptions(v string) ([]string, error) {
	var args []string
	for _, tok := range strings.Fields(v) {
		name, value, hasValue := strings.Cut(tok, "=")
		opt, ok := dumpOptions[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("option %q is not allowed (allowed: %s)", name, strings.Join(allowedOptionNames(), " "))
		case opt.kind == flagOnly && hasValue:
			return nil, fmt.Errorf("option %s takes no value", name)
		case opt.kind == withValue && !hasValue:
			return nil, fmt.Errorf("option %s needs a value: %s=…", name, name)
		case opt.kind == withValue && !opt.value.MatchString(value):
			return nil, fmt.Errorf("option %s: value %q is not allowed", name, value)
		}
		args = append(args, tok)
	}
	return args, nil
}

// hasCompress reports whether args set pg_dump's compression level.
func hasCompress(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "--compress=") {
			return true
		}
	}
	return false
}
