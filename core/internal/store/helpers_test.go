package store

import (
	"context"
	"path/filepath"
	"testing"

	_ "time/tzdata" // zone names resolve whatever the test machine has installed

	"github.com/dbkeep/dbkeep/core/internal/seal"
)

func newSealer(t *testing.T) *seal.Sealer {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := seal.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openAt opens (creating) the store at path with sealer and closes it when
// the test ends.
func openAt(t *testing.T, path string, sealer *seal.Sealer) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Path: path, Sealer: sealer})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// newStore opens a fresh store in a temporary directory.
func newStore(t *testing.T) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), FileName), newSealer(t))
}

// exec runs raw SQL through the writer, for fixtures the repositories of
// this session do not cover yet (jobs, backup sets).
func exec(t *testing.T, s *Store, query string, args ...any) int64 {
	t.Helper()
	res, err := s.w.Exec(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	id, _ := res.LastInsertId()
	return id
}

const fixedTime = "2026-01-02T03:04:05.000Z"

// addJob inserts a job on source using profile (0 for none).
func addJob(t *testing.T, s *Store, name string, source, profile int64) int64 {
	t.Helper()
	var p any
	if profile != 0 {
		p = profile
	}
	return exec(t, s, `INSERT INTO jobs (name, slug, source_id, encryption_profile_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`, name, name, source, p, fixedTime, fixedTime)
}
