package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-migrate/migrate/v4"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/google/go-cmp/cmp"
)

func TestMigrateFreshDatabase(t *testing.T) {
	latest, err := LatestSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	if latest < 1 {
		t.Fatalf("latest schema version %d", latest)
	}
	path := filepath.Join(t.TempDir(), FileName)
	sealer := newSealer(t)
	s := openAt(t, path, sealer)
	if s.SchemaVersion() != latest {
		t.Fatalf("schema version %d, want %d", s.SchemaVersion(), latest)
	}
	var tables []string
	if err := s.r.Select(&tables, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"api_key_permissions", "api_keys", "audit_log", "backup_sets", "destinations",
		"encryption_profiles", "execution_logs", "executions", "group_members", "group_permissions",
		"groups", "job_destinations", "job_notifications", "job_schedule_state", "jobs", "notification_channels",
		"schema_migrations", "sessions", "settings", "sources", "store_meta", "users",
	}
	if diff := cmp.Diff(want, tables); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	pragmas := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "10000"}
	for name, wantVal := range pragmas {
		var got string
		if err := s.w.Get(&got, "PRAGMA "+name); err != nil {
			t.Fatal(err)
		}
		if got != wantVal {
			t.Errorf("writer PRAGMA %s = %s, want %s", name, got, wantVal)
		}
	}
	var fk string
	if err := s.r.Get(&fk, "PRAGMA foreign_keys"); err != nil || fk != "1" {
		t.Errorf("reader foreign_keys = %q (%v), want 1", fk, err)
	}

	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", f, info.Mode().Perm())
		}
	}

	// Opening again is a no-op migration.
	s.Close()
	s2 := openAt(t, path, sealer)
	if s2.SchemaVersion() != latest {
		t.Fatalf("reopened at %d", s2.SchemaVersion())
	}
}

// stamp rewrites the recorded schema version, as a newer binary or a failed
// migration would have left it.
func stamp(t *testing.T, path string, version int, dirty bool) {
	t.Helper()
	db, err := openDB(context.Background(), path, migrationParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE schema_migrations SET version = ?, dirty = ?", version, dirty); err != nil {
		t.Fatal(err)
	}
}

func TestMigrateRefuses(t *testing.T) {
	latest, err := LatestSchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		version  int
		dirty    bool
		wantErr  error
		wantText []string
	}{
		{"newer schema", int(latest) + 41, false, ErrSchemaTooNew,
			[]string{"schema version " + strconv.Itoa(int(latest)+41), "up to " + strconv.Itoa(int(latest))}},
		{"dirty schema", int(latest), true, ErrSchemaDirty,
			[]string{"migration " + strconv.Itoa(int(latest)), "dirty"}},
		{"dirty newer schema", int(latest) + 1, true, ErrSchemaDirty, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			sealer := newSealer(t)
			s := openAt(t, path, sealer)
			s.Close()
			stamp(t, path, tt.version, tt.dirty)

			_, err := Open(context.Background(), Options{Path: path, Sealer: sealer})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open: got %v, want %v", err, tt.wantErr)
			}
			for _, w := range append(tt.wantText, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestMigrateDown keeps the down files honest: every migration can be
// reverted to an empty schema and applied again.
func TestMigrateDown(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := openAt(t, path, newSealer(t))
	s.Close()

	db, err := openDB(context.Background(), path, migrationParams, 1)
	if err != nil {
		t.Fatal(err)
	}
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	drv, err := migratesqlite.WithInstance(db.DB, &migratesqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", drv)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Down(); err != nil {
		t.Fatalf("Down: %v", err)
	}
	var left []string
	if err := db.Select(&left, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT IN ('schema_migrations', 'sqlite_sequence')`); err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Fatalf("tables left after Down: %v", left)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("Up after Down: %v", err)
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), FileName)}); err == nil {
		t.Error("opened without a sealer")
	}
	if _, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "a?b.db"), Sealer: newSealer(t)}); err == nil {
		t.Error("opened a path the driver would misread")
	}
	if _, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "missing-dir", FileName), Sealer: newSealer(t)}); err == nil {
		t.Error("opened a database in a directory that does not exist")
	}
}
