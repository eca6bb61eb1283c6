package retention

import (
	"fmt"
	"time"
)

// gfsRule keeps the newest complete set in each of the n most recent
// buckets that hold one: restic's "for the last n days which have one or
// more snapshots, keep only the most recent one for each day".
type gfsRule struct {
	n int
	// key names the bucket of a local time; label says it in the reason
	// ("daily 2026-11-27"), made only for the sets kept.
	key   func(t time.Time) int
	label func(t time.Time) string
}

func gfsRules(p Policy) []gfsRule {
	return []gfsRule{
		{p.KeepDaily, func(t time.Time) int {
			y, m, d := t.Date()
			return y*10000 + int(m)*100 + d
		}, func(t time.Time) string { return "daily " + t.Format("2006-01-02") }},
		// ISO 8601 weeks start on Monday and week 1 holds the year's first
		// Thursday, so 2027-01-01 is in 2026-W53 (as Go's ISOWeek and restic).
		{p.KeepWeekly, func(t time.Time) int {
			y, w := t.ISOWeek()
			return y*100 + w
		}, func(t time.Time) string {
			y, w := t.ISOWeek()
			return fmt.Sprintf("weekly %04d-W%02d", y, w)
		}},
		{p.KeepMonthly, func(t time.Time) int {
			y, m, _ := t.Date()
			return y*100 + int(m)
		}, func(t time.Time) string { return "monthly " + t.Format("2006-01") }},
		{p.KeepYearly, func(t time.Time) int { return t.Year() },
			func(t time.Time) string { return fmt.Sprintf("yearly %04d", t.Year()) }},
	}
}

// apply walks complete (newest first) and keeps the first set met in each
// new bucket until n buckets are kept. Buckets are remembered rather than
// compared with the previous one, so a zone whose local date steps back
// still keeps one set per bucket.
func (r gfsRule) apply(complete []int, sets []Set, loc *time.Location, keep func(int, string)) {
	if r.n <= 0 {
		return
	}
	seen := make(map[int]struct{}, min(r.n, len(complete)))
	for _, i := range complete {
		if len(seen) == r.n {
			return
		}
		t := sets[i].Created.In(loc)
		key := r.key(t)
		if _, ok := seen[key]; ok {
			continue
		}
		seen[key] = struct{}{}
		keep(i, r.label(t))
	}
}
