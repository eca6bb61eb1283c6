package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

var pgSchema = spec.Schema{Fields: []spec.Field{
	{Name: "host", Type: spec.String},
	{Name: "user", Type: spec.String},
	{Name: "password", Type: spec.Secret},
	{Name: "tls-key", Type: spec.File, Sensitive: true},
}}

func pgConfig(password string) spec.Config {
	return spec.Config{"host": "db.internal", "user": "backup", "password": password}
}

// kinds runs a test against each of the three connection repositories.
var kinds = []struct {
	name   string
	repo   func(*Store) *Connections
	plugin string
	table  string
}{
	{"sources", (*Store).Sources, "database-postgres", "sources"},
	{"destinations", (*Store).Destinations, "storage-s3", "destinations"},
	{"notification channels", (*Store).NotificationChannels, "notification-webhook", "notification_channels"},
}

func TestConnectionsCRUD(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			clock := time.Date(2026, 3, 29, 1, 30, 0, 123456789, time.FixedZone("CET", 3600))
			s.clock = func() time.Time { return clock }
			repo := k.repo(s)

			created, err := repo.Create(ctx, ConnectionInput{Name: "Main", PluginID: k.plugin, Schema: pgSchema, Config: pgConfig("hunter2")})
			if err != nil {
				t.Fatal(err)
			}
			wantTime := time.Date(2026, 3, 29, 0, 30, 0, 123000000, time.UTC)
			want := Connection{
				ID: created.ID, Name: "Main", PluginID: k.plugin,
				Config:       pgConfig("hunter2"),
				SecretFields: []string{"password"},
				CreatedAt:    wantTime, UpdatedAt: wantTime,
			}
			if diff := cmp.Diff(want, created); diff != "" {
				t.Errorf("Create (-want +got):\n%s", diff)
			}
			if created.CreatedAt.Location() != time.UTC {
				t.Errorf("time not in UTC: %v", created.CreatedAt.Location())
			}
			var rawTime string
			if err := s.r.Get(&rawTime, "SELECT created_at FROM "+k.table+" WHERE id = ?", created.ID); err != nil {
				t.Fatal(err)
			}
			if rawTime != "2026-03-29T00:30:00.123Z" {
				t.Errorf("stored time %q", rawTime)
			}
			if diff := cmp.Diff(spec.Config{"host": "db.internal", "user": "backup", "password": spec.Mask}, created.Masked()); diff != "" {
				t.Errorf("Masked (-want +got):\n%s", diff)
			}

			byName, err := repo.GetByName(ctx, "main")
			if err != nil || byName.ID != created.ID {
				t.Errorf("GetByName case-insensitive: %v %v", byName.ID, err)
			}

			// Update with the mask keeps the stored secret.
			clock = clock.Add(time.Hour)
			updated, err := repo.Update(ctx, created.ID, ConnectionInput{Name: "Primary", Schema: pgSchema,
				Config: spec.Config{"host": "db2.internal", "user": "backup", "password": spec.Mask}})
			if err != nil {
				t.Fatal(err)
			}
			want.Name = "Primary"
			want.Config = spec.Config{"host": "db2.internal", "user": "backup", "password": "hunter2"}
			want.UpdatedAt = wantTime.Add(time.Hour)
			if diff := cmp.Diff(want, updated); diff != "" {
				t.Errorf("Update (-want +got):\n%s", diff)
			}

			// A new secret replaces; a new sensitive file is sealed too.
			updated, err = repo.Update(ctx, created.ID, ConnectionInput{Name: "Primary", Schema: pgSchema,
				Config: spec.Config{"host": "db2.internal", "password": "new-pw", "tls-key": "-----BEGIN KEY-----"}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(spec.Config{"host": "db2.internal", "password": "new-pw", "tls-key": "-----BEGIN KEY-----"}, updated.Config); diff != "" {
				t.Errorf("Update config (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"password", "tls-key"}, updated.SecretFields); diff != "" {
				t.Errorf("SecretFields (-want +got):\n%s", diff)
			}

			if _, err := repo.Update(ctx, created.ID, ConnectionInput{Name: "Primary", PluginID: k.plugin + "x", Schema: pgSchema}); !errors.Is(err, ErrInvalid) {
				t.Errorf("changing the plugin: got %v, want ErrInvalid", err)
			}

			list, total, err := repo.List(ctx, Page{})
			if err != nil || total != 1 || len(list) != 1 {
				t.Fatalf("List: %d/%d %v", len(list), total, err)
			}
			if diff := cmp.Diff(updated, list[0]); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}

			if err := repo.Delete(ctx, created.ID); err != nil {
				t.Fatal(err)
			}
			for name, err := range map[string]error{
				"get":    func() error { _, err := repo.Get(ctx, created.ID); return err }(),
				"delete": repo.Delete(ctx, created.ID),
				"update": func() error { _, err := repo.Update(ctx, created.ID, ConnectionInput{Name: "x"}); return err }(),
			} {
				if !errors.Is(err, ErrNotFound) {
					t.Errorf("%s after delete: got %v, want ErrNotFound", name, err)
				}
			}
		})
	}
}

func TestConnectionsConflictsAndInvalid(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			repo := k.repo(s)
			a, err := repo.Create(ctx, ConnectionInput{Name: "alpha", PluginID: k.plugin, Schema: pgSchema, Config: spec.Config{}})
			if err != nil {
				t.Fatal(err)
			}
			b, err := repo.Create(ctx, ConnectionInput{Name: "beta", PluginID: k.plugin, Schema: pgSchema, Config: spec.Config{}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = repo.Create(ctx, ConnectionInput{Name: "ALPHA", PluginID: k.plugin, Schema: pgSchema})
			if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "ALPHA") {
				t.Errorf("duplicate name: got %v, want ErrConflict naming it", err)
			}
			if _, err := repo.Update(ctx, b.ID, ConnectionInput{Name: "Alpha", Schema: pgSchema}); !errors.Is(err, ErrConflict) {
				t.Errorf("rename onto a taken name: got %v, want ErrConflict", err)
			}
			for _, plugin := range []string{"", "postgres", "oidc-x", string(spec.KindDatabase) + "-"} {
				if plugin == k.plugin {
					continue
				}
				if _, err := repo.Create(ctx, ConnectionInput{Name: "p" + plugin, PluginID: plugin, Schema: pgSchema}); !errors.Is(err, ErrInvalid) {
					t.Errorf("plugin %q: got %v, want ErrInvalid", plugin, err)
				}
			}
			_, total, err := repo.List(ctx, Page{})
			if err != nil || total != 2 {
				t.Errorf("after refused writes: %d rows, %v", total, err)
			}
			_ = a
		})
	}
}

func TestConnectionsPagination(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	for _, n := range []string{"e", "b", "d", "a", "c"} {
		if _, err := s.Destinations().Create(ctx, ConnectionInput{Name: n, PluginID: "storage-local", Config: spec.Config{"path": "/x"}}); err != nil {
			t.Fatal(err)
		}
	}
	page, total, err := s.Destinations().List(ctx, Page{Limit: 2, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range page {
		names = append(names, c.Name)
	}
	if total != 5 || !cmp.Equal([]string{"c", "d"}, names) {
		t.Errorf("page: %v of %d", names, total)
	}
}

// TestSecretsNotInFile reads the database files (main and WAL) as bytes:
// the secret must not appear anywhere in them.
func TestSecretsNotInFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	s := openAt(t, path, newSealer(t))
	const pw = "pw-Zq8vX2-unique-plaintext"
	if _, err := s.Sources().Create(ctx, ConnectionInput{Name: "a", PluginID: "database-postgres", Schema: pgSchema, Config: pgConfig(pw)}); err != nil {
		t.Fatal(err)
	}
	profile, err := s.EncryptionProfiles().Create(ctx, "vault", "")
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.EncryptionProfiles().Key(ctx, profile.ID)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(path + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(pw)) {
			t.Errorf("%s holds the password in clear", f)
		}
		if bytes.Contains(b, key) {
			t.Errorf("%s holds the profile key in clear", f)
		}
	}
}

// TestSealedSecretsCannotBeSwapped copies one source's sealed secrets onto
// another row: reading that row must fail, not yield the other's password.
func TestSealedSecretsCannotBeSwapped(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a, err := s.Sources().Create(ctx, ConnectionInput{Name: "a", PluginID: "database-postgres", Schema: pgSchema, Config: pgConfig("a-pw")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sources().Create(ctx, ConnectionInput{Name: "b", PluginID: "database-postgres", Schema: pgSchema, Config: pgConfig("b-pw")})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, "UPDATE sources SET secrets = (SELECT secrets FROM sources WHERE id = ?) WHERE id = ?", a.ID, b.ID)
	if _, err := s.Sources().Get(ctx, b.ID); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("Get of a row holding another row's secrets: got %v, want seal.ErrOpen", err)
	}
	// Across tables too: a source's secrets moved into a destination.
	d, err := s.Destinations().Create(ctx, ConnectionInput{Name: "d", PluginID: "storage-s3", Schema: pgSchema, Config: pgConfig("d-pw")})
	if err != nil {
		t.Fatal(err)
	}
	exec(t, s, "UPDATE destinations SET secrets = (SELECT secrets FROM sources WHERE id = ?) WHERE id = ?", a.ID, d.ID)
	if _, err := s.Destinations().Get(ctx, d.ID); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("got %v, want seal.ErrOpen", err)
	}
}

func TestConnectionsInUse(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	src, err := s.Sources().Create(ctx, ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := s.Destinations().Create(ctx, ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.NotificationChannels().Create(ctx, ConnectionInput{Name: "ch", PluginID: "notification-webhook", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job := addJob(t, s, "nightly", src.ID, 0)
	exec(t, s, "INSERT INTO job_destinations (job_id, destination_id) VALUES (?, ?)", job, dst.ID)
	exec(t, s, "INSERT INTO job_notifications (job_id, channel_id) VALUES (?, ?)", job, ch.ID)
	exec(t, s, "INSERT INTO backup_sets (destination_id, job_id, prefix, created_at) VALUES (?, ?, 'nightly/a/', ?)", dst.ID, job, fixedTime)
	exec(t, s, "INSERT INTO backup_sets (destination_id, job_id, prefix, created_at) VALUES (?, ?, 'nightly/b/', ?)", dst.ID, job, fixedTime)

	tests := []struct {
		name string
		del  func() error
		want string
	}{
		{"source used by a job", func() error { return s.Sources().Delete(ctx, src.ID) }, "1 job"},
		{"destination used by a job and sets", func() error { return s.Destinations().Delete(ctx, dst.ID) }, "1 job and 2 backup sets"},
		{"channel used by a job", func() error { return s.NotificationChannels().Delete(ctx, ch.ID) }, "1 job"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.del()
			if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInUse by %s", err, tt.want)
			}
		})
	}

	// The foreign keys hold on their own too (RESTRICT), whatever a
	// repository checks first.
	if _, err := s.w.Exec("DELETE FROM sources WHERE id = ?", src.ID); !errors.Is(classify(err, "x"), ErrInUse) {
		t.Errorf("raw delete of a used source: got %v", err)
	}

	// Once the job is gone, its links cascade; the sets stay and keep the destination.
	exec(t, s, "DELETE FROM jobs WHERE id = ?", job)
	if err := s.Sources().Delete(ctx, src.ID); err != nil {
		t.Errorf("delete unused source: %v", err)
	}
	if err := s.NotificationChannels().Delete(ctx, ch.ID); err != nil {
		t.Errorf("delete unused channel: %v", err)
	}
	if err := s.Destinations().Delete(ctx, dst.ID); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "2 backup sets") {
		t.Errorf("destination holding sets: got %v", err)
	}
	var jobIDs []any
	if err := s.r.Select(&jobIDs, "SELECT job_id FROM backup_sets"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{nil, nil}, jobIDs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("backup sets of a deleted job keep a null job (-want +got):\n%s", diff)
	}
}
