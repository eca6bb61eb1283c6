package configuration

import (
	"context"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Settings is the server settings service.
type Settings struct{ s *Service }

// Bounds of the settings, the same the store enforces: a core on a small
// machine gains nothing from more than 64 concurrent dumps, and a session
// outliving three months is a forgotten one.
const (
	maxConcurrentJobsLimit = 64
	minSessionTTL          = time.Minute
	maxSessionTTL          = 90 * 24 * time.Hour
)

// SettingsView is every setting as the API shows it.
type SettingsView struct {
	MaxConcurrentJobs int    `json:"maxConcurrentJobs"`
	DefaultTimezone   string `json:"defaultTimezone"`
	// SessionTTLSeconds is how long a login session lasts without activity.
	SessionTTLSeconds int64 `json:"sessionTTLSeconds"`
	// MissedRunWindowSeconds is how late a scheduled run missed while
	// dbkeep was down may still run, once, at start; 0 never catches up.
	MissedRunWindowSeconds int64 `json:"missedRunWindowSeconds"`
}

// SettingsInput is the body of PUT /settings: the settings to change; the
// ones left out keep their values.
type SettingsInput struct {
	MaxConcurrentJobs      *int    `json:"maxConcurrentJobs"`
	DefaultTimezone        *string `json:"defaultTimezone"`
	SessionTTLSeconds      *int64  `json:"sessionTTLSeconds"`
	MissedRunWindowSeconds *int64  `json:"missedRunWindowSeconds"`
}

func settingsView(v store.SettingValues) SettingsView {
	return SettingsView{
		MaxConcurrentJobs:      v.MaxConcurrentJobs,
		DefaultTimezone:        v.DefaultTimezone,
		SessionTTLSeconds:      int64(v.SessionTTL / time.Second),
		MissedRunWindowSeconds: int64(v.MissedRunWindow / time.Second),
	}
}

// Get returns every setting.
func (st *Settings) Get(ctx context.Context) (SettingsView, error) {
	v, err := st.s.st.Settings().All(ctx)
	return settingsView(v), err
}

// Update checks every given setting first and changes them only when all
// are valid.
func (st *Settings) Update(ctx context.Context, in SettingsInput) (SettingsView, error) {
	var errs spec.ValidationError
	if in.MaxConcurrentJobs == nil && in.DefaultTimezone == nil && in.SessionTTLSeconds == nil && in.MissedRunWindowSeconds == nil {
		errs.Add("", "give at least one of maxConcurrentJobs, defaultTimezone, sessionTTLSeconds, missedRunWindowSeconds")
	}
	if n := in.MaxConcurrentJobs; n != nil && (*n < 1 || *n > maxConcurrentJobsLimit) {
		errs.Add("maxConcurrentJobs", fmt.Sprintf("must be from 1 to %d", maxConcurrentJobsLimit))
	}
	if tz := in.DefaultTimezone; tz != nil {
		if msg := checkTimezone(*tz); msg != "" {
			errs.Add("defaultTimezone", msg)
		}
	}
	if sec := in.SessionTTLSeconds; sec != nil && (*sec < int64(minSessionTTL/time.Second) || *sec > int64(maxSessionTTL/time.Second)) {
		errs.Add("sessionTTLSeconds", fmt.Sprintf("must be from %d (1 minute) to %d (90 days)", int64(minSessionTTL/time.Second), int64(maxSessionTTL/time.Second)))
	}
	if sec := in.MissedRunWindowSeconds; sec != nil && (*sec < 0 || *sec > store.MaxMissedRunWindowSeconds) {
		errs.Add("missedRunWindowSeconds", fmt.Sprintf("must be from 0 (never catch up a missed run) to %d (7 days)", store.MaxMissedRunWindowSeconds))
	}
	if err := errs.Err(); err != nil {
		return SettingsView{}, err
	}
	repo := st.s.st.Settings()
	if in.MaxConcurrentJobs != nil {
		if err := repo.SetMaxConcurrentJobs(ctx, *in.MaxConcurrentJobs); err != nil {
			return SettingsView{}, err
		}
	}
	if in.DefaultTimezone != nil {
		if err := repo.SetDefaultTimezone(ctx, *in.DefaultTimezone); err != nil {
			return SettingsView{}, err
		}
	}
	if in.SessionTTLSeconds != nil {
		if err := repo.SetSessionTTL(ctx, time.Duration(*in.SessionTTLSeconds)*time.Second); err != nil {
			return SettingsView{}, err
		}
	}
	if in.MissedRunWindowSeconds != nil {
		if err := repo.SetMissedRunWindow(ctx, time.Duration(*in.MissedRunWindowSeconds)*time.Second); err != nil {
			return SettingsView{}, err
		}
	}
	st.s.settingsChanged()
	return st.Get(ctx)
}

// checkTimezone returns what is wrong with an IANA zone name, or "".
// "Local" is refused: it would make schedules follow the host's setting.
func checkTimezone(tz string) string {
	if tz == "" || tz == "Local" {
		return "must be an IANA time zone name, like UTC or Europe/Paris"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Sprintf("%q is not a known IANA time zone (like UTC or Europe/Paris)", tz)
	}
	return ""
}
