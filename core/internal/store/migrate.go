package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// migrations are the schema, one numbered pair of files per change:
// NNNN_name.up.sql and NNNN_name.down.sql. A migration file is never edited
// once released; a change is a new file.
//
//go:embed migrations/*.sql
var migrations embed.FS

// migrationParams open the connection migrations run on. Foreign keys are
// off, as SQLite advises for schema changes (a table rebuild would otherwise
// cascade or fail midway); migrateUp checks them all afterwards instead.
var migrationParams = []string{
	fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
	"_pragma=foreign_keys(0)",
	"_pragma=journal_mode(WAL)",
	"_pragma=synchronous(FULL)",
}

// LatestSchemaVersion is the newest schema version this binary knows.
func LatestSchemaVersion() (uint, error) {
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("embedded migrations: %w", err)
	}
	defer src.Close()
	return lastVersion(src)
}

func lastVersion(src source.Driver) (uint, error) {
	v, err := src.First()
	if err != nil {
		return 0, fmt.Errorf("embedded migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if errors.Is(err, fs.ErrNotExist) {
			return v, nil
		}
		if err != nil {
			return 0, fmt.Errorf("embedded migrations: %w", err)
		}
		v = next
	}
}

// migrateUp brings the database at path to the latest schema and returns
// that version. It refuses, without changing anything, a database that is
// dirty or at a version newer than this binary knows.
func migrateUp(ctx context.Context, path string) (uint, error) {
	db, err := openDB(ctx, path, migrationParams, 1)
	if err != nil {
		return 0, err
	}
	// m.Close closes db through the driver; the deferred Close covers the
	// paths that fail before m exists.
	defer db.Close()

	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return 0, fmt.Errorf("embedded migrations: %w", err)
	}
	latest, err := lastVersion(src)
	if err != nil {
		return 0, err
	}
	drv, err := migratesqlite.WithInstance(db.DB, &migratesqlite.Config{})
	if err != nil {
		return 0, fmt.Errorf("state database %s: %w", path, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", drv)
	if err != nil {
		return 0, fmt.Errorf("state database %s: %w", path, err)
	}
	defer m.Close()

	cur, dirty, err := m.Version()
	switch {
	case errors.Is(err, migrate.ErrNilVersion):
		cur, dirty = 0, false
	case err != nil:
		return 0, fmt.Errorf("state database %s: read schema version: %w", path, err)
	}
	if dirty {
		return 0, fmt.Errorf("%w: %s stopped in the middle of migration %d; restore the file from a backup (or repair it and clear the dirty flag in schema_migrations) before starting dbkeep", ErrSchemaDirty, path, cur)
	}
	if cur > latest {
		return 0, fmt.Errorf("%w: %s is at schema version %d, this dbkeep knows versions up to %d; run the dbkeep release that wrote it, or a newer one", ErrSchemaTooNew, path, cur, latest)
	}
	if cur < latest {
		if err := m.Up(); err != nil {
			return 0, fmt.Errorf("state database %s: migrate from version %d to %d: %w", path, cur, latest, err)
		}
	}
	if err := checkForeignKeys(ctx, db.DB); err != nil {
		return 0, fmt.Errorf("state database %s: %w", path, err)
	}
	return latest, nil
}

// checkForeignKeys fails when any row refers to a row that does not exist,
// which a migration run with foreign keys off could have left behind.
func checkForeignKeys(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		bad = append(bad, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("foreign key check failed: %s", strings.Join(bad, "; "))
	}
	return nil
}
