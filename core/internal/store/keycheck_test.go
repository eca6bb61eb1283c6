package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	right := newSealer(t)
	s := openAt(t, path, right)
	src, err := s.Sources().Create(context.Background(), ConnectionInput{
		Name: "db", PluginID: "database-postgres", Schema: pgSchema, Config: pgConfig("hunter2"),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	wrong := newSealer(t)
	_, err = Open(context.Background(), Options{Path: path, Sealer: wrong})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("Open with another key: got %v, want ErrWrongKey", err)
	}
	for _, want := range []string{right.KeyID(), wrong.KeyID(), path, "DBKEEP_ENCRYPTION_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q does not name %q", err, want)
		}
	}

	// The right key opens the store and every secret in it.
	s2 := openAt(t, path, right)
	got, err := s2.Sources().Get(context.Background(), src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config["password"] != "hunter2" {
		t.Fatal("secret did not survive a restart")
	}
}
