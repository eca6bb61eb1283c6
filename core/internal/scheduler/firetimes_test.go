package scheduler

import (
	"strings"
	"testing"
	"time"

	_ "time/tzdata" // the zones resolve whatever the test machine has installed
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// DST in Europe/Berlin (2026: forward 03-29 01:00Z, 02:00 CET -> 03:00 CEST;
// back 10-25 01:00Z, 03:00 CEST -> 02:00 CET) and America/New_York (2026:
// forward 03-08 07:00Z, 02:00 EST -> 03:00 EDT; back 11-01 06:00Z, 02:00 EDT
// -> 01:00 EST). Every want is worked out by hand from those transitions.
func TestNextRunsAcrossDST(t *testing.T) {
	cases := []struct {
		name, expr, tz, after string
		want                  []string
	}{
		{"Berlin gap: 02:30 fires once at 03:00 CEST", "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"Berlin gap: quarter hours in the gap and 03:00 fire once", "*/15 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z",
			[]string{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}},
		{"Berlin gap: hourly", "0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z",
			[]string{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"}},
		{"Berlin overlap: 02:30 fires at its first occurrence only", "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"Berlin overlap: hourly skips the repeated 02:00", "0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z", "2026-10-25T03:00:00Z"}},
		{"Berlin overlap: quarter hours", "*/15 * * * *", "Europe/Berlin", "2026-10-25T00:40:00Z",
			[]string{"2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z"}},
		{"Berlin overlap: asked during the repeated hour", "*/15 * * * *", "Europe/Berlin", "2026-10-25T01:20:00Z",
			[]string{"2026-10-25T02:00:00Z", "2026-10-25T02:15:00Z"}},
		{"Berlin gap in a year past the zone file's table", "30 2 * * *", "Europe/Berlin", "2040-03-24T12:00:00Z",
			[]string{"2040-03-25T01:00:00Z", "2040-03-26T00:30:00Z"}},
		{"New York gap: 02:30 fires at 03:00 EDT", "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z",
			[]string{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}[1:]},
		{"New York gap: quarter hours", "*/15 * * * *", "America/New_York", "2026-03-08T06:50:00Z",
			[]string{"2026-03-08T07:00:00Z", "2026-03-08T07:15:00Z"}},
		{"New York gap: hourly", "0 * * * *", "America/New_York", "2026-03-08T05:30:00Z",
			[]string{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
		{"New York overlap: 01:30 fires at 01:30 EDT only", "30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{"New York overlap: 02:30 is not repeated", "30 2 * * *", "America/New_York", "2026-10-31T12:00:00Z",
			[]string{"2026-11-01T07:30:00Z", "2026-11-02T07:30:00Z"}},
		{"New York overlap: hourly skips the repeated 01:00", "0 * * * *", "America/New_York", "2026-11-01T04:30:00Z",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"}},
		{"New York overlap: quarter hours", "*/15 * * * *", "America/New_York", "2026-11-01T05:40:00Z",
			[]string{"2026-11-01T05:45:00Z", "2026-11-01T07:00:00Z"}},
		{"UTC has no jumps", "30 2 * * *", "UTC", "2026-03-29T02:30:00Z",
			[]string{"2026-03-30T02:30:00Z", "2026-03-31T02:30:00Z"}},
		{"macro", "@daily", "Europe/Berlin", "2026-03-28T12:00:00Z",
			[]string{"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := NextRuns(c.expr, c.tz, utc(c.after), len(c.want))
			if err != nil {
				t.Fatal(err)
			}
			var gotS []string
			for _, g := range got {
				if g.Location() != time.UTC {
					t.Errorf("%s is not in UTC", g)
				}
				gotS = append(gotS, g.Format(time.RFC3339))
			}
			if strings.Join(gotS, " ") != strings.Join(c.want, " ") {
				t.Errorf("NextRuns(%q, %s, %s)\n got %v\nwant %v", c.expr, c.tz, c.after, gotS, c.want)
			}
		})
	}
}

// Around every transition, at instants a few minutes apart: the latest
// fire time at or before t and the next after t enclose t with no fire
// time between them, so the scheduler's two searches agree.
func TestLatestAndNextAgree(t *testing.T) {
	days := []struct{ tz, day string }{
		{"Europe/Berlin", "2026-03-28T18:00:00Z"}, {"Europe/Berlin", "2026-10-24T18:00:00Z"},
		{"America/New_York", "2026-03-07T23:00:00Z"}, {"America/New_York", "2026-10-31T23:00:00Z"},
	}
	for _, d := range days {
		for _, expr := range []string{"30 2 * * *", "0 * * * *", "*/15 * * * *", "* * * * *", "0 2 * * *", "30 1 * * *"} {
			c, err := parseCron(expr, d.tz)
			if err != nil {
				t.Fatal(err)
			}
			for at := utc(d.day); at.Before(utc(d.day).Add(14 * time.Hour)); at = at.Add(7*time.Minute + 13*time.Second) {
				last, ok := c.latestAtOrBefore(at)
				if !ok {
					t.Fatalf("%s %s: no fire time before %s", d.tz, expr, at)
				}
				next, err := c.nextAfter(at)
				if err != nil {
					t.Fatal(err)
				}
				if last.After(at) || !next.After(at) {
					t.Fatalf("%s %q at %s: latest %s, next %s", d.tz, expr, at, last, next)
				}
				if between, err := c.nextAfter(last); err != nil || between != next {
					t.Fatalf("%s %q at %s: after the latest %s comes %s (%v), but the next after t is %s",
						d.tz, expr, at, last, between, err, next)
				}
				if again, _ := c.latestAtOrBefore(next); again != next {
					t.Fatalf("%s %q: latest at or before the fire time %s is %s", d.tz, expr, next, again)
				}
			}
		}
	}
}

func TestNextRunsRefusals(t *testing.T) {
	now := utc("2026-01-01T00:00:00Z")
	for _, c := range []struct{ expr, tz, want string }{
		{"61 * * * *", "UTC", `schedule "61 * * * *" is not a valid cron expression`},
		{"0 3 * * *", "Mars/Olympus", `time zone "Mars/Olympus"`},
		{"0 3 * * *", "", `time zone ""`},
		{"0 0 30 2 *", "UTC", "never fires"},
	} {
		if _, err := NextRuns(c.expr, c.tz, now, 3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NextRuns(%q, %q): %v, want an error with %q", c.expr, c.tz, err, c.want)
		}
	}
	if _, err := NextRuns("0 3 * * *", "UTC", now, 0); err == nil {
		t.Error("n = 0 accepted")
	}
	if _, err := NextRuns("0 3 * * *", "UTC", now, MaxNextRuns+1); err == nil {
		t.Error("n above MaxNextRuns accepted")
	}
}
