package configuration

import (
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// checkSchedule returns what is wrong with a cron expression, or "". Five
// fields (minute hour day-of-month month day-of-week) or a macro such as
// @daily: the scheduler works to the minute, so gronx's seconds and year
// fields are refused rather than silently rounded.
func checkSchedule(expr string) string {
	const want = `must be a cron expression of five fields (minute hour day-of-month month day-of-week, like "30 2 * * *") or a macro like @daily`
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		if strings.EqualFold(expr, "@everysecond") || !gronx.IsValid(expr) {
			return want
		}
	} else if len(strings.Fields(expr)) != 5 || !gronx.IsValid(expr) {
		return want
	}
	// Valid fields can still name a time that never comes (30 February).
	if _, err := gronx.NextTickAfter(expr, time.Now().UTC(), false); err != nil {
		return "never fires: no date matches every field"
	}
	return ""
}
