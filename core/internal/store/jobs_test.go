package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

func intp(n int) *int { return &n }

// jobRefs makes a source, two destinations, a channel and a profile.
func jobRefs(t *testing.T, s *Store) (source, d1, d2, channel, profile int64) {
	t.Helper()
	ctx := context.Background()
	mk := func(repo *Connections, plugin string) int64 {
		c, err := repo.Create(ctx, ConnectionInput{Name: plugin, PluginID: plugin, Schema: pgSchema, Config: spec.Config{}})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	source = mk(s.Sources(), "database-sqlite")
	d1 = mk(s.Destinations(), "storage-local")
	d2 = mk(s.Destinations(), "storage-s3")
	channel = mk(s.NotificationChannels(), "notification-webhook")
	p, err := s.EncryptionProfiles().Create(ctx, "key", "")
	if err != nil {
		t.Fatal(err)
	}
	return source, d1, d2, channel, p.ID
}

func TestJobsRoundTrip(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	source, d1, d2, channel, profile := jobRefs(t, s)
	in := JobInput{
		Name: "Nightly", SourceID: source, Databases: []string{"a", "b"}, Schedule: "0 3 * * *", Timezone: "Europe/Paris",
		Compression: "gzip", CompressionLevel: intp(6), EncryptionProfileID: &profile, Enabled: true,
		Destinations: []JobDestination{
			{DestinationID: d2, Retention: Retention{Policy: RetentionGFS, KeepLast: intp(2), KeepDaily: intp(7), KeepYearly: intp(0)}},
			{DestinationID: d1, Retention: Retention{Policy: RetentionSimple, KeepDays: intp(30)}},
		},
		Notifications: []JobNotification{{ChannelID: channel, OnFailure: true, OnPartial: true}},
	}
	job, err := s.Jobs().Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, job.JobInput); diff != "" {
		t.Errorf("stored job differs (-in +stored):\n%s", diff)
	}
	if job.Slug != "nightly" {
		t.Errorf("slug %q", job.Slug)
	}

	// Update replaces the parts; the slug stays.
	in.Name, in.Databases, in.AllDatabases, in.Schedule, in.Timezone = "Renamed", nil, true, "", ""
	in.Destinations = in.Destinations[1:]
	in.Notifications = nil
	in.EncryptionProfileID, in.CompressionLevel = nil, nil
	updated, err := s.Jobs().Update(ctx, job.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.Databases, want.Notifications = []string{}, []JobNotification{}
	if diff := cmp.Diff(want, updated.JobInput, cmpopts.EquateEmpty()); diff != "" || updated.Slug != "nightly" {
		t.Errorf("updated job differs (-want +got), slug %q:\n%s", updated.Slug, diff)
	}

	list, total, err := s.Jobs().List(ctx, Page{})
	if err != nil || total != 1 || len(list) != 1 || list[0].ID != job.ID || len(list[0].Destinations) != 1 {
		t.Fatalf("List = %+v, %d, %v", list, total, err)
	}
	names, err := s.Jobs().NamesUsing(ctx, RefDestination, d1, 5)
	if err != nil || len(names) != 1 || names[0] != "Renamed" {
		t.Errorf("NamesUsing = %v, %v", names, err)
	}
	if err := s.Destinations().Delete(ctx, d1); !errors.Is(err, ErrInUse) {
		t.Errorf("delete a used destination: %v, want ErrInUse", err)
	}
	if err := s.Jobs().Delete(ctx, job.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Destinations().Delete(ctx, d1); err != nil {
		t.Errorf("delete after the job went: %v", err)
	}
	if _, err := s.Jobs().Get(ctx, job.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get deleted: %v", err)
	}
}

// A write that fails halfway (a destination that does not exist) leaves
// nothing behind: the job and its parts go in one transaction.
func TestJobsCreateIsAtomic(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	source, d1, _, _, _ := jobRefs(t, s)
	_, err := s.Jobs().Create(ctx, JobInput{Name: "Half", SourceID: source, AllDatabases: true, Compression: "zstd", Enabled: true,
		Destinations: []JobDestination{
			{DestinationID: d1, Retention: Retention{Policy: RetentionKeepAll}},
			{DestinationID: 999, Retention: Retention{Policy: RetentionKeepAll}},
		}})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Create with a missing destination: %v, want ErrNotFound", err)
	}
	if _, total, _ := s.Jobs().List(ctx, Page{}); total != 0 {
		t.Errorf("%d jobs left after a failed create", total)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Nightly Shop!":     "nightly-shop",
		"  --Prod  DB--  ":  "prod-db",
		"Sauvegarde été":    "sauvegarde-t",
		"日本":                "job",
		"a/../b":            "a-b",
		"UPPER_and_lower42": "upper-and-lower42",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Slug(strings.Repeat("word ", 40)); len(got) > maxSlugLength+1 || strings.HasSuffix(got, "-") {
		t.Errorf("slug of a long name has %d characters", len(got))
	}
}

// A deleted job's backup sets keep their prefix: a new job of the same name
// does not write into it.
func TestSlugAvoidsRecordedPrefixes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	source, d1, _, _, _ := jobRefs(t, s)
	exec(t, s, `INSERT INTO backup_sets (destination_id, job_name, prefix, created_at) VALUES (?, 'Old', 'nightly/20260101T000000Z_1/', ?)`, d1, fixedTime)
	in := JobInput{Name: "Nightly", SourceID: source, AllDatabases: true, Compression: "zstd", Enabled: true,
		Destinations: []JobDestination{{DestinationID: d1, Retention: Retention{Policy: RetentionKeepAll}}}}
	job, err := s.Jobs().Create(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if job.Slug != "nightly-2" {
		t.Errorf("slug %q, want nightly-2 (nightly/ holds recorded sets)", job.Slug)
	}
	// "nightly-2x/" style neighbours do not count as taken.
	in.Name = "Nightly 3"
	if job, err = s.Jobs().Create(ctx, in); err != nil || job.Slug != "nightly-3" {
		t.Errorf("slug %q, %v", job.Slug, err)
	}
}
