// Package storetest opens a fresh state database for tests: a temporary
// file, sealed under a new random key, closed when the test ends. Only
// tests import it.
package storetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// Open returns a new, migrated store in t's temporary directory. now is the
// store's clock; nil means time.Now.
func Open(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{
		Path: filepath.Join(t.TempDir(), store.FileName), Sealer: sealer, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
