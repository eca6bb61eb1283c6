package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func TestEncryptionProfiles(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	repo := s.EncryptionProfiles()

	a, err := repo.Create(ctx, "vault", "offsite sets")
	if err != nil {
		t.Fatal(err)
	}
	b, err := repo.Create(ctx, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	keyA, err := repo.Key(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	keyB, err := repo.Key(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keyA) != ProfileKeySize || bytes.Equal(keyA, keyB) || bytes.Equal(keyA, make([]byte, ProfileKeySize)) {
		t.Fatalf("profile keys: %d bytes, distinct %v", len(keyA), !bytes.Equal(keyA, keyB))
	}
	if a.KeyID != seal.Fingerprint(keyA) || a.Algorithm != "DBK1" {
		t.Errorf("profile: key id %q algorithm %q", a.KeyID, a.Algorithm)
	}

	if _, err := repo.Create(ctx, "VAULT", ""); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate name: got %v, want ErrConflict", err)
	}
	renamed, err := repo.Update(ctx, a.ID, "vault-2", "renamed")
	if err != nil {
		t.Fatal(err)
	}
	if renamed.Name != "vault-2" || renamed.Description != "renamed" || renamed.KeyID != a.KeyID {
		t.Errorf("Update: %+v", renamed)
	}
	if _, err := repo.Update(ctx, a.ID, "other", ""); !errors.Is(err, ErrConflict) {
		t.Errorf("rename onto a taken name: got %v", err)
	}
	if key, _ := repo.Key(ctx, a.ID); !bytes.Equal(key, keyA) {
		t.Error("renaming changed the key")
	}

	list, total, err := repo.List(ctx, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]EncryptionProfile{b, renamed}, list); diff != "" || total != 2 {
		t.Errorf("List of %d (-want +got):\n%s", total, diff)
	}

	if err := repo.Delete(ctx, b.ID); err != nil {
		t.Fatalf("delete unused profile: %v", err)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, err := repo.Get(ctx, b.ID); return err }(),
		"key":    func() error { _, err := repo.Key(ctx, b.ID); return err }(),
		"delete": repo.Delete(ctx, b.ID),
		"update": func() error { _, err := repo.Update(ctx, b.ID, "x", ""); return err }(),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s after delete: got %v, want ErrNotFound", name, err)
		}
	}
}

func TestEncryptionProfileInUse(t *testing.T) {
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
	byJob, _ := s.EncryptionProfiles().Create(ctx, "by-job", "")
	bySets, _ := s.EncryptionProfiles().Create(ctx, "by-sets", "")
	job := addJob(t, s, "nightly", src.ID, byJob.ID)
	exec(t, s, "INSERT INTO backup_sets (destination_id, encryption_profile_id, prefix, created_at) VALUES (?, ?, 'old/a/', ?)", dst.ID, bySets.ID, fixedTime)

	tests := []struct {
		name string
		id   int64
		want string
	}{
		{"used by a job", byJob.ID, "1 job"},
		{"used by backup sets", bySets.ID, "1 backup set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.EncryptionProfiles().Delete(ctx, tt.id)
			if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrInUse by %s", err, tt.want)
			}
			if _, err := s.EncryptionProfiles().Key(ctx, tt.id); err != nil {
				t.Fatalf("refused delete lost the key: %v", err)
			}
		})
	}
	// The schema refuses on its own as well.
	if _, err := s.w.Exec("DELETE FROM encryption_profiles WHERE id = ?", bySets.ID); !errors.Is(classify(err, "x"), ErrInUse) {
		t.Errorf("raw delete: got %v", err)
	}
	exec(t, s, "DELETE FROM jobs WHERE id = ?", job)
	if err := s.EncryptionProfiles().Delete(ctx, byJob.ID); err != nil {
		t.Errorf("delete once the job is gone: %v", err)
	}
}
