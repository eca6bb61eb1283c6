package retention

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// zones caches loaded zones: LoadLocation reads the tz database each call.
var zones sync.Map

// zone loads an IANA zone or fails the test.
func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	zones.Store(name, loc)
	return loc
}

// keptIDs is the IDs Decide keeps, newest first.
func keptIDs(d Decision) []int64 {
	ids := []int64{}
	for _, k := range d.Keep {
		ids = append(ids, k.ID)
	}
	return ids
}

// TestGFSBucketsFollowTheZonesCalendar checks buckets around DST changes in
// Europe/Berlin (2026-03-29 02:00 CET -> 03:00 CEST, 2026-10-25 03:00 CEST
// -> 02:00 CET) and America/New_York (2026-03-08 02:00 EST -> 03:00 EDT,
// 2026-11-01 02:00 EDT -> 01:00 EST): a set belongs to the local date, week,
// month and year in which it was made, including in the repeated hour.
func TestGFSBucketsFollowTheZonesCalendar(t *testing.T) {
	berlin, newYork := zone(t, "Europe/Berlin"), zone(t, "America/New_York")
	tests := []struct {
		name    string
		loc     *time.Location
		policy  Policy
		sets    []Set
		want    []int64 // kept, newest first
		reasons map[int64][]string
	}{
		{
			name:   "Berlin autumn: both 02:30 of the repeated hour are 2026-10-25, the later one is kept",
			loc:    berlin,
			policy: Policy{Kind: GFS, KeepDaily: 3},
			sets: []Set{
				done(t, 1, "2026-10-24T21:30:00Z"), // 23:30 CEST on the 24th
				done(t, 2, "2026-10-24T22:30:00Z"), // 00:30 CEST on the 25th
				done(t, 3, "2026-10-25T00:30:00Z"), // 02:30 CEST, first pass
				done(t, 4, "2026-10-25T01:30:00Z"), // 02:30 CET, second pass
			},
			want:    []int64{4, 1},
			reasons: map[int64][]string{4: {ReasonNewest, "daily 2026-10-25"}, 1: {"daily 2026-10-24"}},
		},
		{
			name:   "the same sets in UTC fall on other days",
			loc:    time.UTC,
			policy: Policy{Kind: GFS, KeepDaily: 3},
			sets: []Set{
				done(t, 1, "2026-10-24T21:30:00Z"), done(t, 2, "2026-10-24T22:30:00Z"),
				done(t, 3, "2026-10-25T00:30:00Z"), done(t, 4, "2026-10-25T01:30:00Z"),
			},
			want: []int64{4, 2},
		},
		{
			name:   "Berlin spring: the 23-hour day 2026-03-29 is one bucket from 00:00 CET to 23:59 CEST",
			loc:    berlin,
			policy: Policy{Kind: GFS, KeepDaily: 2},
			sets: []Set{
				done(t, 1, "2026-03-28T22:59:59Z"), // 23:59:59 CET on the 28th
				done(t, 2, "2026-03-28T23:00:00Z"), // 00:00 CET on the 29th
				done(t, 3, "2026-03-29T00:59:59Z"), // 01:59:59 CET, just before the gap
				done(t, 4, "2026-03-29T01:00:00Z"), // 03:00 CEST, just after
				done(t, 5, "2026-03-29T21:59:59Z"), // 23:59:59 CEST on the 29th
				done(t, 6, "2026-03-29T22:00:00Z"), // 00:00 CEST on the 30th
			},
			want:    []int64{6, 5},
			reasons: map[int64][]string{6: {ReasonNewest, "daily 2026-03-30"}, 5: {"daily 2026-03-29"}},
		},
		{
			name:   "New York autumn: 01:30 EDT and 01:30 EST are both 2026-11-01; 23:30 EST on Sunday is still ISO week 44",
			loc:    newYork,
			policy: Policy{Kind: GFS, KeepDaily: 2, KeepWeekly: 2},
			sets: []Set{
				done(t, 1, "2026-11-01T03:30:00Z"), // 23:30 EDT on Saturday the 31st
				done(t, 2, "2026-11-01T05:30:00Z"), // 01:30 EDT on the 1st
				done(t, 3, "2026-11-01T06:30:00Z"), // 01:30 EST on the 1st
				done(t, 4, "2026-11-02T04:30:00Z"), // 23:30 EST, Sunday the 1st; Monday in UTC
			},
			want:    []int64{4, 1},
			reasons: map[int64][]string{4: {ReasonNewest, "daily 2026-11-01", "weekly 2026-W44"}, 1: {"daily 2026-10-31"}},
		},
		{
			name:   "in UTC the Sunday-night set is Monday, week 45",
			loc:    time.UTC,
			policy: Policy{Kind: GFS, KeepDaily: 2, KeepWeekly: 2},
			sets: []Set{
				done(t, 1, "2026-11-01T03:30:00Z"), done(t, 2, "2026-11-01T05:30:00Z"),
				done(t, 3, "2026-11-01T06:30:00Z"), done(t, 4, "2026-11-02T04:30:00Z"),
			},
			want:    []int64{4, 3},
			reasons: map[int64][]string{4: {ReasonNewest, "daily 2026-11-02", "weekly 2026-W45"}, 3: {"daily 2026-11-01", "weekly 2026-W44"}},
		},
		{
			name:   "New York spring: 01:59 EST and 03:00 EDT on 2026-03-08 are one day; month ends are local",
			loc:    newYork,
			policy: Policy{Kind: GFS, KeepDaily: 1, KeepMonthly: 2},
			sets: []Set{
				done(t, 1, "2026-03-01T04:30:00Z"), // 23:30 EST on 2026-02-28
				done(t, 2, "2026-03-08T06:59:00Z"), // 01:59 EST
				done(t, 3, "2026-03-08T07:00:00Z"), // 03:00 EDT
			},
			want:    []int64{3, 1},
			reasons: map[int64][]string{3: {ReasonNewest, "daily 2026-03-08", "monthly 2026-03"}, 1: {"monthly 2026-02"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.policy, tc.sets, Options{Now: at(t, "2026-12-01T00:00:00Z"), Location: tc.loc})
			if diff := cmp.Diff(tc.want, keptIDs(d)); diff != "" {
				t.Errorf("kept IDs (-want +got):\n%s", diff)
			}
			for _, k := range d.Keep {
				if want, ok := tc.reasons[k.ID]; ok {
					if diff := cmp.Diff(want, k.Reasons); diff != "" {
						t.Errorf("reasons of %d (-want +got):\n%s", k.ID, diff)
					}
				}
			}
		})
	}
}

// TestKeepDaysCountsCalendarDays: across the 23-hour day in Berlin, "within 1
// day" at 12:00 CEST reaches back to 12:00 CET the day before, 23 hours.
func TestKeepDaysCountsCalendarDays(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	sets := []Set{
		done(t, 1, "2026-03-28T10:30:00Z"), // 11:30 CET on the 28th: 23h30m old, yet older than a calendar day
		done(t, 2, "2026-03-28T11:00:01Z"), // 12:00:01 CET
		done(t, 3, "2026-03-29T09:00:00Z"),
	}
	opts := Options{Now: at(t, "2026-03-29T10:00:00Z"), Location: berlin} // 12:00 CEST
	d := Decide(Policy{Kind: Simple, KeepDays: 1}, sets, opts)
	if diff := cmp.Diff([]int64{3, 2}, keptIDs(d)); diff != "" {
		t.Errorf("kept IDs in Berlin (-want +got):\n%s", diff)
	}
	opts.Location = time.UTC
	d = Decide(Policy{Kind: Simple, KeepDays: 1}, sets, opts)
	// In UTC a day is 24 hours: set 1 is within it.
	if diff := cmp.Diff([]int64{3, 2, 1}, keptIDs(d)); diff != "" {
		t.Errorf("kept IDs in UTC (-want +got):\n%s", diff)
	}
}
