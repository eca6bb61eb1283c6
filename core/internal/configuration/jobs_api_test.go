package configuration_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

// jobFixture is what a job refers to.
type jobFixture struct {
	e       *env
	source  configuration.Connection
	dest    configuration.Connection
	dest2   configuration.Connection
	channel configuration.Connection
	profile configuration.Profile
}

func newJobFixture(t *testing.T) *jobFixture {
	e := newEnv(t)
	sink := newSink(t)
	return &jobFixture{
		e: e, source: e.source("Shop", e.sqliteFile("shop.db")),
		dest: e.destination("a"), dest2: e.destination("b"),
		channel: e.channel("Ops", sink.srv.URL), profile: e.profile("Main key"),
	}
}

// body is a valid job; change returns a copy with changes applied.
func (f *jobFixture) body(name string) map[string]any {
	return map[string]any{
		"name":      name,
		"sourceId":  f.source.ID,
		"databases": "all",
		"destinations": []any{
			map[string]any{"destinationId": f.dest.ID, "retention": map[string]any{"policy": "simple", "keepLast": 7, "keepDays": 30}},
			map[string]any{"destinationId": f.dest2.ID, "retention": map[string]any{"policy": "gfs", "keepLast": 2, "keepDaily": 7, "keepWeekly": 4, "keepMonthly": 12, "keepYearly": 0}},
		},
		"schedule":            "30 2 * * *",
		"timezone":            "Europe/Paris",
		"compression":         "zstd",
		"compressionLevel":    3,
		"encryptionProfileId": f.profile.ID,
		"notifications":       []any{map[string]any{"channelId": f.channel.ID, "events": []string{"failure", "partial"}}},
	}
}

func with(body map[string]any, key string, value any) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		out[k] = v
	}
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func TestJobCRUDAndNextRun(t *testing.T) {
	f := newJobFixture(t)
	e := f.e
	var job configuration.Job
	e.must(201, "POST", "/jobs", f.body("Nightly Shop!"), &job)
	if job.Slug != "nightly-shop" || !job.Enabled || job.Databases != "all" || len(job.Destinations) != 2 ||
		job.Destinations[1].Retention.Policy != "gfs" || *job.Destinations[1].Retention.KeepDaily != 7 ||
		len(job.Notifications) != 1 || strings.Join(job.Notifications[0].Events, ",") != "failure,partial" ||
		*job.EncryptionProfileID != f.profile.ID || *job.CompressionLevel != 3 || job.EffectiveTimezone != "Europe/Paris" {
		t.Fatalf("created %+v", job)
	}
	// 02:30 in Paris is 00:30 or 01:30 UTC, within the next day.
	if job.NextRunAt == nil {
		t.Fatal("nextRunAt is null for a scheduled job")
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	local := job.NextRunAt.In(paris)
	if local.Hour() != 2 || local.Minute() != 30 || job.NextRunAt.Location() != time.UTC || time.Until(*job.NextRunAt) > 25*time.Hour {
		t.Errorf("nextRunAt = %v (%v in Paris), want the next 02:30 Paris time, in UTC", job.NextRunAt, local)
	}

	// A second job of a similar name gets its own slug; renaming keeps it.
	var second configuration.Job
	e.must(201, "POST", "/jobs", with(with(f.body("nightly shop"), "schedule", nil), "databases", []string{"shop"}), &second)
	if second.Slug != "nightly-shop-2" || second.NextRunAt != nil || second.Schedule != nil {
		t.Errorf("second job: slug %q nextRunAt %v schedule %v", second.Slug, second.NextRunAt, second.Schedule)
	}
	if dbs, ok := second.Databases.([]any); !ok || len(dbs) != 1 || dbs[0] != "shop" {
		t.Errorf("databases = %#v, want [shop]", second.Databases)
	}
	var renamed configuration.Job
	body := with(with(f.body("Weekly"), "timezone", nil), "enabled", false)
	e.must(200, "PUT", fmt.Sprintf("/jobs/%d", job.ID), body, &renamed)
	if renamed.Slug != "nightly-shop" || renamed.Name != "Weekly" || renamed.Enabled || renamed.NextRunAt != nil ||
		renamed.Timezone != nil || renamed.EffectiveTimezone != "UTC" {
		t.Errorf("after update: %+v", renamed)
	}

	var list struct {
		Items []configuration.Job `json:"items"`
		Total int                 `json:"total"`
	}
	e.must(200, "GET", "/jobs?limit=1", nil, &list)
	if list.Total != 2 || len(list.Items) != 1 || list.Items[0].Name != "nightly shop" || len(list.Items[0].Destinations) != 2 {
		t.Errorf("list = %+v", list)
	}

	// Everything a job uses is refused deletion, naming the job.
	for _, path := range []string{
		fmt.Sprintf("/sources/%d", f.source.ID), fmt.Sprintf("/destinations/%d", f.dest.ID),
		fmt.Sprintf("/notification-channels/%d", f.channel.ID), fmt.Sprintf("/encryption-profiles/%d", f.profile.ID),
	} {
		a := e.call("DELETE", path, nil)
		if a.Status != 409 || a.Error.Code != "in_use" || !strings.Contains(a.Error.Message, `"Weekly"`) {
			t.Errorf("DELETE %s: %d %s, want 409 in_use naming the job", path, a.Status, a.Raw)
		}
	}
	e.must(200, "DELETE", fmt.Sprintf("/jobs/%d", job.ID), nil, nil)
	e.must(200, "DELETE", fmt.Sprintf("/jobs/%d", second.ID), nil, nil)
	e.must(200, "DELETE", fmt.Sprintf("/encryption-profiles/%d", f.profile.ID), nil, nil)
	e.must(200, "DELETE", fmt.Sprintf("/sources/%d", f.source.ID), nil, nil)
	if a := e.call("GET", fmt.Sprintf("/jobs/%d", job.ID), nil); a.Status != 404 {
		t.Errorf("deleted job: %d", a.Status)
	}
}

func TestJobValidationNamesFields(t *testing.T) {
	f := newJobFixture(t)
	ok := f.body("Valid")
	dest := func(retention map[string]any) []any {
		return []any{map[string]any{"destinationId": f.dest.ID, "retention": retention}}
	}
	cases := []struct {
		name        string
		body        any
		field, part string
	}{
		{"bad cron", with(ok, "schedule", "61 * * * *"), "schedule", "cron expression"},
		{"cron with seconds", with(ok, "schedule", "0 30 2 * * *"), "schedule", "five fields"},
		{"cron that never fires", with(ok, "schedule", "0 0 30 2 *"), "schedule", "never fires"},
		{"bad timezone", with(ok, "timezone", "Mars/Olympus"), "timezone", "IANA"},
		{"Local timezone", with(ok, "timezone", "Local"), "timezone", "IANA"},
		{"no destinations", with(ok, "destinations", []any{}), "destinations", "at least one"},
		{"unknown destination", with(ok, "destinations", []any{map[string]any{"destinationId": 999, "retention": map[string]any{"policy": "keep-all"}}}), "destinations[0].destinationId", "no destination has id 999"},
		{"destination twice", with(ok, "destinations", []any{
			map[string]any{"destinationId": f.dest.ID, "retention": map[string]any{"policy": "keep-all"}},
			map[string]any{"destinationId": f.dest.ID, "retention": map[string]any{"policy": "keep-all"}},
		}), "destinations[1].destinationId", "twice"},
		{"no retention", with(ok, "destinations", []any{map[string]any{"destinationId": f.dest.ID}}), "destinations[0].retention", "is required"},
		{"unknown policy", with(ok, "destinations", dest(map[string]any{"policy": "forever"})), "destinations[0].retention.policy", "keep-all"},
		{"keepLast zero", with(ok, "destinations", dest(map[string]any{"policy": "simple", "keepLast": 0})), "destinations[0].retention.keepLast", "1 or more"},
		{"simple without numbers", with(ok, "destinations", dest(map[string]any{"policy": "simple"})), "destinations[0].retention", "keepLast and/or keepDays"},
		{"keepDays in gfs", with(ok, "destinations", dest(map[string]any{"policy": "gfs", "keepDaily": 7, "keepDays": 3})), "destinations[0].retention.keepDays", "not used by the gfs policy"},
		{"gfs keeping nothing", with(ok, "destinations", dest(map[string]any{"policy": "gfs", "keepDaily": 0})), "destinations[0].retention", "gfs policy needs"},
		{"numbers with keep-all", with(ok, "destinations", dest(map[string]any{"policy": "keep-all", "keepLast": 3})), "destinations[0].retention.keepLast", "not used"},
		{"retention wrong type", with(ok, "destinations", dest(map[string]any{"policy": "simple", "keepLast": "seven"})), "destinations.retention.keepLast", "must be an integer"},
		{"retention unknown field", with(ok, "destinations", dest(map[string]any{"policy": "simple", "keepLats": 3})), "keepLats", "not a known field"},
		{"databases neither all nor list", with(ok, "databases", "some"), "databases", `"all" or a non-empty list`},
		{"databases empty list", with(ok, "databases", []string{}), "databases", "non-empty"},
		{"databases missing", with(ok, "databases", nil), "databases", "is required"},
		{"database name empty", with(ok, "databases", []string{"a", " "}), "databases[1]", "empty"},
		{"unknown source", with(ok, "sourceId", 999), "sourceId", "no source has id 999"},
		{"no source", with(ok, "sourceId", nil), "sourceId", "is required"},
		{"unknown compression", with(ok, "compression", "lz4"), "compression", "must be one of"},
		{"gzip level out of range", with(with(ok, "compression", "gzip"), "compressionLevel", 12), "compressionLevel", "from 1 to 9 for gzip"},
		{"brotli level 0 (null is the default)", with(with(ok, "compression", "brotli"), "compressionLevel", 0), "compressionLevel", "from 1 to 11 for brotli"},
		{"level with none", with(with(ok, "compression", "none"), "compressionLevel", 1), "compressionLevel", "null"},
		{"unknown profile", with(ok, "encryptionProfileId", 999), "encryptionProfileId", "no encryption profile"},
		{"unknown channel", with(ok, "notifications", []any{map[string]any{"channelId": 999, "events": []string{"failure"}}}), "notifications[0].channelId", "no notification channel"},
		{"no events", with(ok, "notifications", []any{map[string]any{"channelId": f.channel.ID, "events": []string{}}}), "notifications[0].events", "at least one"},
		{"bad event", with(ok, "notifications", []any{map[string]any{"channelId": f.channel.ID, "events": []string{"failure", "always"}}}), "notifications[0].events[1]", "success"},
		{"missing name", with(ok, "name", nil), "name", "is required"},
		{"unknown top-level field", with(ok, "retention", "x"), "retention", "not a known field"},
		{"enabled wrong type", with(ok, "enabled", "yes"), "enabled", "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fields := f.e.invalid("POST", "/jobs", tc.body)
			if !hasField(fields, tc.field, tc.part) {
				t.Errorf("fields %+v, want %s: …%s…", fields, tc.field, tc.part)
			}
		})
	}
	// Every wrong field is reported at once.
	fields := f.e.invalid("POST", "/jobs", with(with(ok, "schedule", "61 * * * *"), "timezone", "Nowhere/City"))
	if !hasField(fields, "schedule", "") || !hasField(fields, "timezone", "") {
		t.Errorf("fields %+v, want both schedule and timezone", fields)
	}
	// A taken name is a field error.
	f.e.must(201, "POST", "/jobs", ok, nil)
	if fields := f.e.invalid("POST", "/jobs", with(ok, "name", "VALID")); !hasField(fields, "name", "already used") {
		t.Errorf("fields %+v, want name: already used", fields)
	}
}

func TestEncryptionProfiles(t *testing.T) {
	e := newEnv(t)
	p := e.profile("Offsite")
	if p.KeyID == "" || p.Algorithm != "DBK1" {
		t.Fatalf("created %+v", p)
	}
	a := e.must(200, "GET", fmt.Sprintf("/encryption-profiles/%d", p.ID), nil, nil)
	for _, word := range []string{`"key"`, "keySealed", "key_sealed"} {
		if strings.Contains(a.Raw, word) {
			t.Errorf("the answer shows %s: %s", word, a.Raw)
		}
	}
	var got configuration.Profile
	e.must(200, "PUT", fmt.Sprintf("/encryption-profiles/%d", p.ID), map[string]any{"name": "Offsite 2", "description": "the tape"}, &got)
	if got.Name != "Offsite 2" || got.Description != "the tape" || got.KeyID != p.KeyID {
		t.Errorf("updated %+v, want the same key id", got)
	}
	if fields := e.invalid("POST", "/encryption-profiles", map[string]any{"name": "x", "key": "AAAA"}); !hasField(fields, "key", "not a known field") {
		t.Errorf("a key cannot be given: %+v", fields)
	}
	if fields := e.invalid("POST", "/encryption-profiles", map[string]any{"name": " "}); !hasField(fields, "name", "is required") {
		t.Errorf("empty name: %+v", fields)
	}
	e.must(200, "DELETE", fmt.Sprintf("/encryption-profiles/%d", p.ID), nil, nil)
}

func TestSettings(t *testing.T) {
	e := newEnv(t)
	var s configuration.SettingsView
	e.must(200, "GET", "/settings", nil, &s)
	if s.MaxConcurrentJobs != 1 || s.DefaultTimezone != "UTC" || s.SessionTTLSeconds != 86400 {
		t.Errorf("defaults = %+v", s)
	}
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"maxConcurrentJobs": 0}, "maxConcurrentJobs"},
		{map[string]any{"maxConcurrentJobs": 1000}, "maxConcurrentJobs"},
		{map[string]any{"defaultTimezone": "Nowhere/City"}, "defaultTimezone"},
		{map[string]any{"sessionTTLSeconds": 5}, "sessionTTLSeconds"},
		{map[string]any{"maxConcurrentJobs": "2"}, "maxConcurrentJobs"},
		{map[string]any{"maxJobs": 2}, "maxJobs"},
		{map[string]any{}, ""},
	} {
		if fields := e.invalid("PUT", "/settings", tc.body); !hasField(fields, tc.field, "") {
			t.Errorf("PUT %v: fields %+v, want %q", tc.body, fields, tc.field)
		}
	}
	// A refused change changes nothing, even the valid part.
	e.invalid("PUT", "/settings", map[string]any{"maxConcurrentJobs": 4, "defaultTimezone": "Nowhere/City"})
	e.must(200, "GET", "/settings", nil, &s)
	if s.MaxConcurrentJobs != 1 {
		t.Errorf("a refused PUT changed maxConcurrentJobs to %d", s.MaxConcurrentJobs)
	}
	e.must(200, "PUT", "/settings", map[string]any{"maxConcurrentJobs": 4, "defaultTimezone": "America/New_York"}, &s)
	if s.MaxConcurrentJobs != 4 || s.DefaultTimezone != "America/New_York" || s.SessionTTLSeconds != 86400 {
		t.Errorf("after PUT: %+v", s)
	}

	// Jobs without a zone follow the setting.
	f := &jobFixture{e: e, source: e.source("S", e.sqliteFile("s.db")), dest: e.destination("d"), dest2: e.destination("d2"),
		channel: e.channel("c", "http://127.0.0.1:9/"), profile: e.profile("p")}
	var job configuration.Job
	e.must(201, "POST", "/jobs", with(f.body("Follows"), "timezone", nil), &job)
	ny, _ := time.LoadLocation("America/New_York")
	if job.EffectiveTimezone != "America/New_York" || job.NextRunAt == nil || job.NextRunAt.In(ny).Hour() != 2 {
		t.Errorf("job without zone: effective %q next %v", job.EffectiveTimezone, job.NextRunAt)
	}
}

func TestPluginsList(t *testing.T) {
	e := newEnv(t)
	var all struct {
		Items []configuration.Plugin `json:"items"`
		Total int                    `json:"total"`
	}
	e.must(200, "GET", "/plugins", nil, &all)
	if all.Total != 3 {
		t.Fatalf("plugins = %+v, want the three loaded", all)
	}
	for _, p := range all.Items {
		if p.State != "ok" || len(p.SHA256) != 64 || p.Version == "" || len(p.ConfigSchema.Fields) == 0 || !p.Health.Running || p.Protocol == "" {
			t.Errorf("plugin %+v lacks state, checksum, version, schema or health", p)
		}
	}
	var storage struct {
		Items []configuration.Plugin `json:"items"`
	}
	e.must(200, "GET", "/plugins?kind=storage", nil, &storage)
	if len(storage.Items) != 1 || storage.Items[0].ID != "storage-local" {
		t.Errorf("?kind=storage = %+v", storage.Items)
	}
	if fields := e.invalid("GET", "/plugins?kind=printer", nil); !hasField(fields, "kind", "") {
		t.Errorf("unknown kind: %+v", fields)
	}
}
