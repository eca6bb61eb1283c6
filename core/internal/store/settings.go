package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Settings are the system settings (GET/PUT /api/v1/settings). Each has a
// default that holds until it is set; stored values are JSON.
type Settings struct{ s *Store }

// Settings returns the settings repository.
func (s *Store) Settings() *Settings { return &Settings{s: s} }

// SettingValues is every setting at once.
type SettingValues struct {
	// MaxConcurrentJobs is how many executions run at once (DESIGN §4).
	MaxConcurrentJobs int
	// DefaultTimezone is the IANA zone for jobs that name none.
	DefaultTimezone string
	// SessionTTL is how long a login session lasts without activity.
	SessionTTL time.Duration
	// MissedRunWindow is how late a scheduled run missed while dbkeep was
	// down may still run, once, at start; 0 never catches up.
	MissedRunWindow time.Duration
}

// setting describes one stored setting: its key, default and check.
type setting[T any] struct {
	key   string
	def   T
	check func(T) error
}

var (
	settingMaxConcurrentJobs = setting[int]{
		key: "maxConcurrentJobs", def: 1,
		check: func(n int) error {
			if n < 1 || n > 64 {
				return fmt.Errorf("maxConcurrentJobs must be between 1 and 64, got %d", n)
			}
			return nil
		},
	}
	settingDefaultTimezone = setting[string]{
		key: "defaultTimezone", def: "UTC",
		check: func(tz string) error {
			// "Local" would make schedules depend on the host's setting.
			if tz == "" || tz == "Local" {
				return fmt.Errorf("defaultTimezone must be an IANA zone name, got %q", tz)
			}
			if _, err := time.LoadLocation(tz); err != nil {
				return fmt.Errorf("defaultTimezone %q is not a known IANA zone", tz)
			}
			return nil
		},
	}
	// Stored as whole seconds: JSON readers elsewhere need not know Go's
	// nanosecond Duration.
	settingSessionTTL = setting[int64]{
		key: "sessionTTLSeconds", def: int64((24 * time.Hour).Seconds()),
		check: func(sec int64) error {
			if sec < 60 || sec > int64((90*24*time.Hour).Seconds()) {
				return fmt.Errorf("sessionTTL must be between 1 minute and 90 days, got %s", time.Duration(sec)*time.Second)
			}
			return nil
		},
	}
	// Whole seconds, like sessionTTLSeconds. A week bounds it: a backup
	// caught up later than that is better skipped and logged.
	settingMissedRunWindow = setting[int64]{
		key: "missedRunWindowSeconds", def: int64(time.Hour.Seconds()),
		check: func(sec int64) error {
			if sec < 0 || sec > MaxMissedRunWindowSeconds {
				return fmt.Errorf("missedRunWindowSeconds must be from 0 (never catch up) to %d (7 days), got %d", MaxMissedRunWindowSeconds, sec)
			}
			return nil
		},
	}
)

// MaxMissedRunWindowSeconds bounds the missedRunWindowSeconds setting.
const MaxMissedRunWindowSeconds = 7 * 24 * 3600

// SettingsDefaults are the values of settings never set.
func SettingsDefaults() SettingValues {
	return SettingValues{
		MaxConcurrentJobs: settingMaxConcurrentJobs.def,
		DefaultTimezone:   settingDefaultTimezone.def,
		SessionTTL:        time.Duration(settingSessionTTL.def) * time.Second,
		MissedRunWindow:   time.Duration(settingMissedRunWindow.def) * time.Second,
	}
}

// All returns every setting, defaults filled in.
func (st *Settings) All(ctx context.Context) (SettingValues, error) {
	var v SettingValues
	var err error
	if v.MaxConcurrentJobs, err = st.MaxConcurrentJobs(ctx); err != nil {
		return v, err
	}
	if v.DefaultTimezone, err = st.DefaultTimezone(ctx); err != nil {
		return v, err
	}
	if v.SessionTTL, err = st.SessionTTL(ctx); err != nil {
		return v, err
	}
	if v.MissedRunWindow, err = st.MissedRunWindow(ctx); err != nil {
		return v, err
	}
	return v, nil
}

// MaxConcurrentJobs returns the maxConcurrentJobs setting (default 1).
func (st *Settings) MaxConcurrentJobs(ctx context.Context) (int, error) {
	return getSetting(ctx, st.s, settingMaxConcurrentJobs)
}

// SetMaxConcurrentJobs sets maxConcurrentJobs (1 to 64).
func (st *Settings) SetMaxConcurrentJobs(ctx context.Context, n int) error {
	return setSetting(ctx, st.s, settingMaxConcurrentJobs, n)
}

// DefaultTimezone returns the defaultTimezone setting (default "UTC").
func (st *Settings) DefaultTimezone(ctx context.Context) (string, error) {
	return getSetting(ctx, st.s, settingDefaultTimezone)
}

// SetDefaultTimezone sets defaultTimezone to an IANA zone name.
func (st *Settings) SetDefaultTimezone(ctx context.Context, tz string) error {
	return setSetting(ctx, st.s, settingDefaultTimezone, tz)
}

// SessionTTL returns the session lifetime (default 24h).
func (st *Settings) SessionTTL(ctx context.Context) (time.Duration, error) {
	sec, err := getSetting(ctx, st.s, settingSessionTTL)
	return time.Duration(sec) * time.Second, err
}

// SetSessionTTL sets the session lifetime, in whole seconds (1m to 90 days).
func (st *Settings) SetSessionTTL(ctx context.Context, d time.Duration) error {
	return setSetting(ctx, st.s, settingSessionTTL, int64(d/time.Second))
}

// MissedRunWindow returns how late a missed scheduled run may still be
// caught up at start (default 1h; 0: never).
func (st *Settings) MissedRunWindow(ctx context.Context) (time.Duration, error) {
	sec, err := getSetting(ctx, st.s, settingMissedRunWindow)
	return time.Duration(sec) * time.Second, err
}

// SetMissedRunWindow sets missedRunWindowSeconds, in whole seconds (0 to 7
// days).
func (st *Settings) SetMissedRunWindow(ctx context.Context, d time.Duration) error {
	return setSetting(ctx, st.s, settingMissedRunWindow, int64(d/time.Second))
}

func getSetting[T any](ctx context.Context, s *Store, k setting[T]) (T, error) {
	var raw string
	err := s.r.GetContext(ctx, &raw, "SELECT value FROM settings WHERE key = ?", k.key)
	if errors.Is(err, sql.ErrNoRows) {
		return k.def, nil
	}
	if err != nil {
		return k.def, fmt.Errorf("setting %s: %w", k.key, err)
	}
	var v T
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return k.def, fmt.Errorf("setting %s: stored value %s: %w", k.key, raw, err)
	}
	return v, nil
}

func setSetting[T any](ctx context.Context, s *Store, k setting[T], v T) error {
	if err := k.check(v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("setting %s: %w", k.key, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		k.key, string(raw), formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("setting %s: %w", k.key, err)
	}
	return nil
}
