package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSettingsDefaultsAndPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	sealer := newSealer(t)
	s := openAt(t, path, sealer)

	got, err := s.Settings().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := SettingValues{MaxConcurrentJobs: 1, DefaultTimezone: "UTC", SessionTTL: 24 * time.Hour, MissedRunWindow: time.Hour}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, SettingsDefaults()); diff != "" {
		t.Errorf("SettingsDefaults (-want +got):\n%s", diff)
	}

	if err := s.Settings().SetMaxConcurrentJobs(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Settings().SetDefaultTimezone(ctx, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if err := s.Settings().SetSessionTTL(ctx, 90*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.Settings().SetMissedRunWindow(ctx, 0); err != nil { // 0 is valid: never catch up
		t.Fatal(err)
	}
	if err := s.Settings().SetMaxConcurrentJobs(ctx, 4); err != nil { // overwrite
		t.Fatal(err)
	}
	s.Close()

	s2 := openAt(t, path, sealer)
	got, err = s2.Settings().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want = SettingValues{MaxConcurrentJobs: 4, DefaultTimezone: "Europe/Berlin", SessionTTL: 90 * time.Minute, MissedRunWindow: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
}

func TestSettingsRefuseInvalid(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	st := s.Settings()
	tests := []struct {
		name string
		set  func() error
	}{
		{"zero jobs", func() error { return st.SetMaxConcurrentJobs(ctx, 0) }},
		{"negative jobs", func() error { return st.SetMaxConcurrentJobs(ctx, -1) }},
		{"too many jobs", func() error { return st.SetMaxConcurrentJobs(ctx, 65) }},
		{"empty zone", func() error { return st.SetDefaultTimezone(ctx, "") }},
		{"Local zone", func() error { return st.SetDefaultTimezone(ctx, "Local") }},
		{"unknown zone", func() error { return st.SetDefaultTimezone(ctx, "Mars/Olympus") }},
		{"offset is not a zone", func() error { return st.SetDefaultTimezone(ctx, "+02:00") }},
		{"ttl too short", func() error { return st.SetSessionTTL(ctx, 30*time.Second) }},
		{"ttl too long", func() error { return st.SetSessionTTL(ctx, 91*24*time.Hour) }},
		{"negative missed-run window", func() error { return st.SetMissedRunWindow(ctx, -time.Second) }},
		{"missed-run window over 7 days", func() error { return st.SetMissedRunWindow(ctx, 7*24*time.Hour+time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.set(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	if got, _ := st.All(ctx); got != SettingsDefaults() {
		t.Errorf("refused writes changed settings: %+v", got)
	}
}
