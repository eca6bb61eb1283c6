package retention

import (
	"strings"
	"testing"
)

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		p    Policy
		want []string // substrings of the error; none: valid
	}{
		{Policy{Kind: KeepAll}, nil},
		{Policy{Kind: Simple, KeepLast: 7}, nil},
		{Policy{Kind: Simple, KeepDays: 30}, nil},
		{Policy{Kind: Simple, KeepLast: 7, KeepDays: 30}, nil},
		{Policy{Kind: GFS, KeepDaily: 7}, nil},
		{Policy{Kind: GFS, KeepLast: 1}, nil},
		{Policy{Kind: GFS, KeepLast: 3, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12, KeepYearly: 5}, nil},
		{Policy{}, []string{`retention.policy: "" must be`}},
		{Policy{Kind: "forever"}, []string{`retention.policy: "forever" must be "keep-all", "simple" or "gfs"`}},
		{Policy{Kind: KeepAll, KeepLast: 3}, []string{"retention.keepLast: is not used by the keep-all policy"}},
		{Policy{Kind: Simple, KeepLast: -1, KeepDays: 5}, []string{"retention.keepLast: must be 0 or more, got -1"}},
		{Policy{Kind: Simple}, []string{"the simple policy keeps nothing: set keepLast or keepDays above 0"}},
		{Policy{Kind: Simple, KeepLast: 2, KeepWeekly: 4}, []string{"retention.keepWeekly: is not used by the simple policy"}},
		{Policy{Kind: GFS}, []string{"the gfs policy keeps nothing: set keepLast or keepDaily or keepWeekly or keepMonthly or keepYearly above 0"}},
		{Policy{Kind: GFS, KeepDaily: 7, KeepDays: 30}, []string{"retention.keepDays: is not used by the gfs policy"}},
		{
			Policy{Kind: GFS, KeepDaily: -1, KeepYearly: -2},
			[]string{"retention.keepDaily: must be 0 or more, got -1", "retention.keepYearly: must be 0 or more, got -2", "keeps nothing"},
		},
	}
	for _, tc := range tests {
		err := tc.p.Validate()
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%+v: unexpected error %v", tc.p, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v: no error, want %q", tc.p, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q does not say %q", tc.p, err, w)
			}
		}
	}
}

func TestPolicyString(t *testing.T) {
	for p, want := range map[Policy]string{
		{Kind: KeepAll}: "keep-all",
		{Kind: Simple, KeepLast: 7, KeepDays: 30}:             "simple (last 7, days 30)",
		{Kind: GFS, KeepLast: 1, KeepDaily: 7, KeepYearly: 2}: "gfs (last 1, daily 7, yearly 2)",
		{Kind: GFS, KeepWeekly: 4, KeepMonthly: 12}:           "gfs (weekly 4, monthly 12)",
	} {
		if got := p.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", p, got, want)
		}
	}
}
