package retention

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// now is the decision time of the table tests: a Friday.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// at parses an RFC 3339 time or fails the test.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// done is a complete set.
func done(t testing.TB, id int64, created string) Set {
	return Set{ID: id, Created: at(t, created), Complete: true}
}

func kept(id int64, reasons ...string) Kept { return Kept{ID: id, Reasons: reasons} }

func TestDecideRules(t *testing.T) {
	day := func(id int64, d string) Set { return done(t, id, d+"T03:00:00Z") }
	daily := []Set{day(1, "2026-11-23"), day(2, "2026-11-24"), day(3, "2026-11-25"), day(4, "2026-11-26"), day(5, "2026-11-27")}
	opts := Options{Now: now, Location: time.UTC, IncompleteGrace: 6 * time.Hour}
	tests := []struct {
		name   string
		policy Policy
		sets   []Set
		opts   Options
		want   Decision
	}{
		{
			name:   "empty input decides nothing",
			policy: Policy{Kind: GFS, KeepDaily: 3},
			opts:   opts,
			want:   Decision{},
		},
		{
			name:   "keep-all keeps every complete set",
			policy: Policy{Kind: KeepAll},
			sets:   daily[:3],
			opts:   opts,
			want: Decision{Keep: []Kept{
				kept(3, ReasonNewest, ReasonKeepAll), kept(2, ReasonKeepAll), kept(1, ReasonKeepAll),
			}},
		},
		{
			name:   "simple keepLast keeps the newest n",
			policy: Policy{Kind: Simple, KeepLast: 2},
			sets:   daily,
			opts:   opts,
			want: Decision{
				Keep:   []Kept{kept(5, ReasonNewest, "last 2"), kept(4, "last 2")},
				Delete: []Deleted{{3, "not kept by simple (last 2)"}, {2, "not kept by simple (last 2)"}, {1, "not kept by simple (last 2)"}},
			},
		},
		{
			name:   "simple keepDays keeps sets younger than n days; exactly n days old is not younger",
			policy: Policy{Kind: Simple, KeepDays: 2},
			sets:   []Set{done(t, 1, "2026-11-25T11:59:59Z"), done(t, 2, "2026-11-25T12:00:00Z"), done(t, 3, "2026-11-25T12:00:01Z"), done(t, 4, "2026-11-27T11:00:00Z")},
			opts:   opts,
			want: Decision{
				Keep:   []Kept{kept(4, ReasonNewest, "within 2 days"), kept(3, "within 2 days")},
				Delete: []Deleted{{2, "not kept by simple (days 2)"}, {1, "not kept by simple (days 2)"}},
			},
		},
		{
			name:   "simple with both rules keeps what either keeps",
			policy: Policy{Kind: Simple, KeepLast: 3, KeepDays: 2},
			sets:   append([]Set{done(t, 6, "2026-11-27T06:00:00Z"), done(t, 7, "2026-11-27T09:00:00Z")}, daily...),
			opts:   opts,
			want: Decision{
				Keep: []Kept{
					kept(7, ReasonNewest, "last 3", "within 2 days"), kept(6, "last 3", "within 2 days"),
					kept(5, "last 3", "within 2 days"), kept(4, "within 2 days"),
				},
				Delete: []Deleted{{3, "not kept by simple (last 3, days 2)"}, {2, "not kept by simple (last 3, days 2)"}, {1, "not kept by simple (last 3, days 2)"}},
			},
		},
		{
			name:   "gfs daily keeps the newest set of each of the n newest days that have one",
			policy: Policy{Kind: GFS, KeepDaily: 3},
			sets: []Set{
				done(t, 1, "2026-11-20T10:00:00Z"), done(t, 2, "2026-11-24T08:00:00Z"), done(t, 3, "2026-11-24T20:00:00Z"),
				done(t, 4, "2026-11-26T01:00:00Z"), done(t, 5, "2026-11-26T23:59:59Z"), done(t, 6, "2026-11-27T00:00:00Z"),
			},
			opts: opts,
			want: Decision{
				Keep:   []Kept{kept(6, ReasonNewest, "daily 2026-11-27"), kept(5, "daily 2026-11-26"), kept(3, "daily 2026-11-24")},
				Delete: []Deleted{{4, "not kept by gfs (daily 3)"}, {2, "not kept by gfs (daily 3)"}, {1, "not kept by gfs (daily 3)"}},
			},
		},
		{
			name:   "gfs weekly uses ISO weeks: 2027-01-03 is in 2026-W53, Monday 2027-01-04 starts 2027-W01",
			policy: Policy{Kind: GFS, KeepWeekly: 3},
			sets: []Set{
				done(t, 1, "2026-12-20T10:00:00Z"), done(t, 2, "2026-12-27T10:00:00Z"), done(t, 3, "2026-12-28T10:00:00Z"),
				done(t, 4, "2026-12-31T10:00:00Z"), done(t, 5, "2027-01-03T23:00:00Z"), done(t, 6, "2027-01-04T00:30:00Z"),
			},
			opts: Options{Now: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)},
			want: Decision{
				Keep:   []Kept{kept(6, ReasonNewest, "weekly 2027-W01"), kept(5, "weekly 2026-W53"), kept(2, "weekly 2026-W52")},
				Delete: []Deleted{{4, "not kept by gfs (weekly 3)"}, {3, "not kept by gfs (weekly 3)"}, {1, "not kept by gfs (weekly 3)"}},
			},
		},
		{
			name:   "gfs monthly and yearly, with keepLast; one set may be kept by several rules",
			policy: Policy{Kind: GFS, KeepLast: 1, KeepMonthly: 2, KeepYearly: 3},
			sets: []Set{
				done(t, 1, "2023-05-01T00:00:00Z"), done(t, 2, "2024-12-31T23:00:00Z"), done(t, 3, "2025-06-01T00:00:00Z"),
				done(t, 4, "2025-12-01T00:00:00Z"), done(t, 5, "2026-10-31T00:00:00Z"), done(t, 6, "2026-11-02T00:00:00Z"),
				done(t, 7, "2026-11-20T00:00:00Z"),
			},
			opts: opts,
			want: Decision{
				Keep: []Kept{
					kept(7, ReasonNewest, "last 1", "monthly 2026-11", "yearly 2026"), kept(5, "monthly 2026-10"),
					kept(4, "yearly 2025"), kept(2, "yearly 2024"),
				},
				Delete: []Deleted{
					{6, "not kept by gfs (last 1, monthly 2, yearly 3)"}, {3, "not kept by gfs (last 1, monthly 2, yearly 3)"},
					{1, "not kept by gfs (last 1, monthly 2, yearly 3)"},
				},
			},
		},
		{
			name:   "equal times: the higher ID is the newer",
			policy: Policy{Kind: GFS, KeepDaily: 1},
			sets:   []Set{done(t, 9, "2026-11-27T03:00:00Z"), done(t, 10, "2026-11-27T03:00:00Z"), done(t, 8, "2026-11-27T03:00:00Z")},
			opts:   opts,
			want: Decision{
				Keep:   []Kept{kept(10, ReasonNewest, "daily 2026-11-27")},
				Delete: []Deleted{{9, "not kept by gfs (daily 1)"}, {8, "not kept by gfs (daily 1)"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.policy, tc.sets, tc.opts)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decide(%v) mismatch (-want +got):\n%s", tc.policy, diff)
			}
		})
	}
}

func TestDecideAlwaysKept(t *testing.T) {
	opts := Options{Now: now, Location: time.UTC, IncompleteGrace: 6 * time.Hour}
	last1 := Policy{Kind: Simple, KeepLast: 1}
	gone := "not kept by simple (last 1)"
	tests := []struct {
		name   string
		policy Policy
		sets   []Set
		want   Decision
	}{
		{
			name:   "a locked set outside every rule is kept",
			policy: last1,
			sets:   []Set{{ID: 1, Created: at(t, "2020-01-01T00:00:00Z"), Complete: true, Locked: true}, done(t, 2, "2025-01-01T00:00:00Z"), done(t, 3, "2026-11-27T00:00:00Z")},
			want:   Decision{Keep: []Kept{kept(3, ReasonNewest, "last 1"), kept(1, ReasonLocked)}, Delete: []Deleted{{2, gone}}},
		},
		{
			name:   "the newest complete set is kept when no rule keeps it",
			policy: Policy{Kind: Simple, KeepDays: 7},
			sets:   []Set{done(t, 1, "2026-10-01T00:00:00Z"), done(t, 2, "2026-11-01T00:00:00Z")},
			want:   Decision{Keep: []Kept{kept(2, ReasonNewest)}, Delete: []Deleted{{1, "not kept by simple (days 7)"}}},
		},
		{
			name:   "incomplete sets do not count: keepLast keeps the newest complete ones",
			policy: last1,
			sets: []Set{
				done(t, 1, "2026-11-25T00:00:00Z"), done(t, 2, "2026-11-26T00:00:00Z"),
				{ID: 3, Created: at(t, "2026-11-27T10:00:00Z")},
			},
			want: Decision{
				Keep:   []Kept{kept(3, ReasonIncompleteGrace), kept(2, ReasonNewest, "last 1")},
				Delete: []Deleted{{1, gone}},
			},
		},
		{
			name:   "an incomplete set older than the grace is deleted, the grace itself is within",
			policy: Policy{Kind: KeepAll},
			sets: []Set{
				{ID: 1, Created: at(t, "2026-11-27T05:59:59Z")}, {ID: 2, Created: at(t, "2026-11-27T06:00:00Z")},
				done(t, 3, "2026-11-20T00:00:00Z"),
			},
			want: Decision{
				Keep:   []Kept{kept(2, ReasonIncompleteGrace), kept(3, ReasonNewest, ReasonKeepAll)},
				Delete: []Deleted{{1, "incomplete, older than the grace of 6h0m0s"}},
			},
		},
		{
			name:   "a running execution's set is kept however old, complete or not",
			policy: last1,
			sets: []Set{
				{ID: 1, Created: at(t, "2026-01-01T00:00:00Z"), Running: true},
				{ID: 2, Created: at(t, "2026-02-01T00:00:00Z"), Running: true, Complete: true},
				done(t, 3, "2026-11-26T00:00:00Z"), done(t, 4, "2026-11-27T00:00:00Z"),
			},
			want: Decision{
				Keep:   []Kept{kept(4, ReasonNewest, "last 1"), kept(2, ReasonRunning), kept(1, ReasonRunning)},
				Delete: []Deleted{{3, gone}},
			},
		},
		{
			name:   "a locked incomplete set is kept past its grace",
			policy: last1,
			sets:   []Set{{ID: 1, Created: at(t, "2026-01-01T00:00:00Z"), Locked: true}, done(t, 2, "2026-11-27T00:00:00Z")},
			want:   Decision{Keep: []Kept{kept(2, ReasonNewest, "last 1"), kept(1, ReasonLocked)}},
		},
		{
			name:   "an invalid policy keeps every complete set; old incomplete sets still go",
			policy: Policy{Kind: GFS, KeepDaily: -1},
			sets:   []Set{done(t, 1, "2020-01-01T00:00:00Z"), done(t, 2, "2021-01-01T00:00:00Z"), {ID: 3, Created: at(t, "2021-06-01T00:00:00Z")}},
			want: Decision{
				Keep:   []Kept{kept(2, ReasonNewest, ReasonInvalidPolicyAll), kept(1, ReasonInvalidPolicyAll)},
				Delete: []Deleted{{3, "incomplete, older than the grace of 6h0m0s"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Decide(tc.policy, tc.sets, opts)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideNilLocationIsUTC(t *testing.T) {
	sets := []Set{done(t, 1, "2026-11-26T23:30:00Z"), done(t, 2, "2026-11-27T00:30:00Z")}
	p := Policy{Kind: GFS, KeepDaily: 5}
	got := Decide(p, sets, Options{Now: now})
	want := Decide(p, sets, Options{Now: now, Location: time.UTC})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nil Location differs from UTC (-utc +nil):\n%s", diff)
	}
}
