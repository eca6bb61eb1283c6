package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Restore options (RestoreRequest.Options).
const (
	// optFlush empties the target (FLUSHALL for the instance, FLUSHDB for
	// one logical database) before the keys are copied.
	optFlush = "flush"
	// optReplace overwrites keys that exist in the target and keeps the
	// others (RESTORE ... REPLACE).
	optReplace = "replace"
)

// target is where a restore writes: the whole instance (every logical
// database of the dump into the same index) or one logical database that
// receives every key.
type target struct {
	// db is the one logical database, or -1 for the whole instance.
	db      int
	flush   bool
	replace bool
}

func (t target) whole() bool { return t.db < 0 }

func (t target) String() string {
	if t.whole() {
		return instanceName
	}
	return "db" + strconv.Itoa(t.db)
}

// parseTarget reads RestoreRequest.TargetDatabase and Options:
//   - "" or "instance": the whole instance;
//   - "db<N>" (db0, db7): logical database N, for a dump whose keys are all
//     in one logical database (a restore drill into a scratch database).
func parseTarget(name string, opts map[string]string) (target, error) {
	t := target{db: -1}
	switch {
	case name == "" || name == instanceName:
	case strings.HasPrefix(name, "db"):
		n, err := strconv.Atoi(name[2:])
		if err != nil || n < 0 || strconv.Itoa(n) != name[2:] {
			return t, fmt.Errorf("restore target %q: name %q or a logical database db0, db1, ...: %w", name, instanceName, spec.ErrInvalidArgument)
		}
		t.db = n
	default:
		return t, fmt.Errorf("restore target %q: name %q or a logical database db0, db1, ...: %w", name, instanceName, spec.ErrInvalidArgument)
	}
	for k, v := range opts {
		b, err := strconv.ParseBool(v)
		if err != nil && v != "" {
			return t, fmt.Errorf("restore option %s=%q: must be true or false: %w", k, v, spec.ErrInvalidArgument)
		}
		switch k {
		case optFlush:
			t.flush = b
		case optReplace:
			t.replace = b
		default:
			return t, fmt.Errorf("restore option %q is unknown (known: %s, %s): %w", k, optFlush, optReplace, spec.ErrInvalidArgument)
		}
	}
	return t, nil
}

// keysIn counts the keys the target already holds, from INFO keyspace.
func (t target) keysIn(space map[int]int64) int64 {
	if !t.whole() {
		return space[t.db]
	}
	var n int64
	for _, k := range space {
		n += k
	}
	return n
}

// refusal explains why a target holding keys is refused, or is empty when
// the options allow it.
func (t target) refusal(keys int64) string {
	if keys == 0 || t.flush || t.replace {
		return ""
	}
	return fmt.Sprintf("the target %s holds %d keys: restore into an empty one, or set the restore option %s=true (empty it first) or %s=true (overwrite keys of the same name, keep the others)",
		t, keys, optFlush, optReplace)
}
