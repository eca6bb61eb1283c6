package retention

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of policy (the values of job_destinations.retention).
const (
	KeepAll = "keep-all"
	Simple  = "simple"
	GFS     = "gfs"
)

// Policy is one destination's retention policy; a zero count is unset.
//
// keep-all takes no count; simple takes KeepLast and KeepDays (at least one);
// gfs takes KeepLast, KeepDaily, KeepWeekly, KeepMonthly and KeepYearly (at
// least one). Validate says what is wrong with any other combination.
type Policy struct {
	Kind string
	// KeepLast keeps the newest KeepLast complete sets (simple and gfs).
	KeepLast int
	// KeepDays keeps every complete set younger than KeepDays calendar days
	// in Options.Location (simple only).
	KeepDays int
	// KeepDaily, KeepWeekly, KeepMonthly and KeepYearly keep the newest
	// complete set of each of the N most recent days, ISO weeks, months and
	// years that have one (gfs only).
	KeepDaily   int
	KeepWeekly  int
	KeepMonthly int
	KeepYearly  int
}

// counts lists the policy's numbers under the names the jobs API gives them,
// so errors name the field a user typed.
func (p Policy) counts() []count {
	return []count{
		{"keepLast", p.KeepLast},
		{"keepDays", p.KeepDays},
		{"keepDaily", p.KeepDaily},
		{"keepWeekly", p.KeepWeekly},
		{"keepMonthly", p.KeepMonthly},
		{"keepYearly", p.KeepYearly},
	}
}

type count struct {
	name string
	n    int
}

// takes says which counts each kind of policy reads.
var takes = map[string][]string{
	KeepAll: nil,
	Simple:  {"keepLast", "keepDays"},
	GFS:     {"keepLast", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"},
}

// Validate reports every problem of p, each naming its field (the jobs API
// names: policy, keepLast, keepDays, keepDaily, ...): an unknown kind, a
// negative count, a count the kind does not use, or a simple or gfs policy
// with nothing to keep. Decide treats a policy that fails Validate as
// keep-all, so callers should refuse it before saving it.
func (p Policy) Validate() error {
	used, known := takes[p.Kind]
	if !known {
		return fmt.Errorf("retention.policy: %q must be %q, %q or %q", p.Kind, KeepAll, Simple, GFS)
	}
	var errs []error
	keeps := false
	for _, c := range p.counts() {
		switch {
		case c.n < 0:
			errs = append(errs, fmt.Errorf("retention.%s: must be 0 or more, got %d", c.name, c.n))
		case c.n > 0 && !contains(used, c.name):
			errs = append(errs, fmt.Errorf("retention.%s: is not used by the %s policy, got %d", c.name, p.Kind, c.n))
		case c.n > 0:
			keeps = true
		}
	}
	if p.Kind != KeepAll && !keeps {
		errs = append(errs, fmt.Errorf("retention: the %s policy keeps nothing: set %s above 0", p.Kind, strings.Join(used, " or ")))
	}
	return errors.Join(errs...)
}

// String describes p in words for logs and deletion reasons, e.g.
// "gfs (last 3, daily 7, weekly 4)".
func (p Policy) String() string {
	var parts []string
	for _, c := range p.counts() {
		if c.n != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ToLower(strings.TrimPrefix(c.name, "keep")), c.n))
		}
	}
	if len(parts) == 0 {
		return p.Kind
	}
	return p.Kind + " (" + strings.Join(parts, ", ") + ")"
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
