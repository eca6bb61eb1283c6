package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// FileName is the state database's name inside the data directory.
const FileName = "dbkeep.db"

// busyTimeout is how long a statement waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Options are what Open needs.
type Options struct {
	// Path of the database file; created when missing.
	Path string
	// Sealer seals and opens every secret the store keeps. Required.
	Sealer *seal.Sealer
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Store is the opened state database. Its repositories are safe for
// concurrent use.
type Store struct {
	// w has exactly one connection and carries every write.
	w *sqlx.DB
	// r is the pool for reads outside a write.
	r      *sqlx.DB
	sealer *seal.Sealer
	clock  func() time.Time
	path   string
	// version is the schema version after migration.
	version uint
}

// Open opens the database at opts.Path, migrates its schema to the version
// this binary knows, and checks that opts.Sealer holds the key the database
// was created with (recording it on first open). It refuses a schema newer
// than this binary (ErrSchemaTooNew), a dirty schema (ErrSchemaDirty) and a
// different key (ErrWrongKey), each with a message saying what to do.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("store: a sealer is required")
	}
	if opts.Path == "" || strings.ContainsAny(opts.Path, "?#") {
		// The driver reads everything after '?' as parameters.
		return nil, fmt.Errorf("store: unusable database path %q", opts.Path)
	}
	if err := createPrivate(opts.Path); err != nil {
		return nil, err
	}
	version, err := migrateUp(ctx, opts.Path)
	if err != nil {
		return nil, err
	}
	s := &Store{sealer: opts.Sealer, clock: opts.Now, path: opts.Path, version: version}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.w, err = openDB(ctx, opts.Path, writerParams, 1); err != nil {
		return nil, err
	}
	// Readers: enough for concurrent API requests; SQLite readers in WAL
	// mode do not block each other or the writer.
	if s.r, err = openDB(ctx, opts.Path, readerParams, max(4, runtime.GOMAXPROCS(0))); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.checkKey(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connection parameters, applied by the driver to every new connection.
//
// synchronous=FULL: the state records which backups exist where, what ran
// and who did what; NORMAL in WAL mode can lose the last commits on power
// loss (never corrupting), and a forgotten backup set or audit record is
// worse than an fsync per commit at the core's low write rate (configuration
// edits, run status, batched log lines).
var (
	writerParams = []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_txlock=immediate",
	}
	readerParams = []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		// A write through the read pool is a bug; make it fail loudly.
		"_pragma=query_only(1)",
	}
)

// createPrivate creates the database file readable by its owner only, when
// it does not exist yet. SQLite gives the -wal and -shm files the mode of the
// database file, so they follow. Sealed secrets are safe anyway; session and
// key hashes, user names and the audit log are nobody else's business.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create state database: %w", err)
	}
	return f.Close()
}

func openDB(ctx context.Context, path string, params []string, conns int) (*sqlx.DB, error) {
	db, err := sqlx.Open("sqlite", path+"?"+strings.Join(params, "&"))
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	// Connections live as long as the store: each carries its pragmas and
	// page cache, and reopening gains nothing for a local file.
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database. The WAL is checkpointed by SQLite when the last
// connection closes.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers, for health reports.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.GetContext(ctx, &one, "SELECT 1"); err != nil {
		return fmt.Errorf("state database: %w", err)
	}
	return nil
}

// SchemaVersion is the schema version the database is at.
func (s *Store) SchemaVersion() uint { return s.version }

// Path is the database file.
func (s *Store) Path() string { return s.path }

// inTx runs fn in a write transaction, committing when it returns nil. fn
// must use tx only: the writer has one connection, so touching s.w inside fn
// would wait forever.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
