package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestFirstAdminOnlyOnce(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	admin, err := s.Users().CreateFirstAdmin(ctx, NewUser{Username: "root", PasswordHash: "h1"},
		NewGroup{Name: "admin", Permissions: []string{"users:read", "users:write"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Users().CreateFirstAdmin(ctx, NewUser{Username: "second", PasswordHash: "h2"}, NewGroup{Name: "admin"}); !errors.Is(err, ErrAccountsExist) || !errors.Is(err, ErrConflict) {
		t.Fatalf("second setup: %v, want ErrAccountsExist", err)
	}
	perms, builtin, err := s.Groups().Access(ctx, admin.ID)
	if err != nil || !builtin || len(perms) != 2 {
		t.Fatalf("Access = %v %v %v, want builtin with 2 permissions", perms, builtin, err)
	}
	u, hash, err := s.Users().Credentials(ctx, "ROOT")
	if err != nil || u.ID != admin.ID || hash != "h1" {
		t.Fatalf("Credentials(ROOT) = %v %q %v", u, hash, err)
	}
	if _, err := s.Users().Create(ctx, NewUser{Username: "Root"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate username in other case: %v, want ErrConflict", err)
	}
}

func TestLastAdminStays(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	admin, err := s.Users().CreateFirstAdmin(ctx, NewUser{Username: "root", PasswordHash: "h"}, NewGroup{Name: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := s.Groups().OfUser(ctx, admin.ID)
	if err != nil || len(groups) != 1 {
		t.Fatal(groups, err)
	}
	adminGroup := groups[0].ID
	yes := true
	if _, err := s.Users().Update(ctx, admin.ID, UserChanges{Disabled: &yes}); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("disable last admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Users().Delete(ctx, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("delete last admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Groups().RemoveMember(ctx, adminGroup, admin.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("remove last admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Groups().Delete(ctx, adminGroup); !errors.Is(err, ErrBuiltinGroup) {
		t.Errorf("delete admin group: %v, want ErrBuiltinGroup", err)
	}
	none := []string{}
	if _, err := s.Groups().Update(ctx, adminGroup, GroupChanges{Permissions: &none}); !errors.Is(err, ErrBuiltinGroup) {
		t.Errorf("strip admin group: %v, want ErrBuiltinGroup", err)
	}
	// With a second enabled admin, the first may go.
	other, err := s.Users().Create(ctx, NewUser{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Groups().AddMember(ctx, adminGroup, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Users().Update(ctx, admin.ID, UserChanges{Disabled: &yes}); err != nil {
		t.Fatalf("disable one of two admins: %v", err)
	}
	// other is now the last enabled admin.
	if err := s.Groups().RemoveMember(ctx, adminGroup, other.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("remove the only enabled admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Users().Delete(ctx, admin.ID); err != nil {
		t.Fatalf("delete disabled admin: %v", err)
	}
}

func TestGroupsAndMembers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u, err := s.Users().Create(ctx, NewUser{Username: "ann", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.Groups().Create(ctx, NewGroup{Name: "ops", Permissions: []string{"jobs:read", "jobs:execute"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Groups().Create(ctx, NewGroup{Name: "OPS"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate group: %v", err)
	}
	if _, err := s.Groups().Create(ctx, NewGroup{Name: "bad", Permissions: []string{"no shape"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad permission shape: %v, want ErrInvalid", err)
	}
	if err := s.Groups().AddMember(ctx, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Groups().AddMember(ctx, g.ID, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("add unknown user: %v, want ErrNotFound", err)
	}
	perms, builtin, err := s.Groups().Access(ctx, u.ID)
	if err != nil || builtin || len(perms) != 2 || perms[0] != "jobs:execute" {
		t.Fatalf("Access = %v %v %v", perms, builtin, err)
	}
	members, total, err := s.Groups().Members(ctx, g.ID, Page{})
	if err != nil || total != 1 || members[0].ID != u.ID {
		t.Fatalf("Members = %v %d %v", members, total, err)
	}
	np := []string{"jobs:read"}
	g, err = s.Groups().Update(ctx, g.ID, GroupChanges{Permissions: &np})
	if err != nil || len(g.Permissions) != 1 || g.MemberCount != 1 {
		t.Fatalf("Update = %+v %v", g, err)
	}
	if err := s.Groups().RemoveMember(ctx, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Groups().RemoveMember(ctx, g.ID, u.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove non-member: %v, want ErrNotFound", err)
	}
	if err := s.Groups().Delete(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u, err := s.Users().Create(ctx, NewUser{Username: "ann", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	h := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	s1, err := s.Sessions().Create(ctx, NewSession{UserID: u.ID, TokenHash: h(1), CSRFHash: h(2), ExpiresAt: exp, IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !s1.ExpiresAt.Equal(exp) {
		t.Fatalf("expires %v, want %v", s1.ExpiresAt, exp)
	}
	s2, err := s.Sessions().Create(ctx, NewSession{UserID: u.ID, TokenHash: h(3), CSRFHash: h(4), ExpiresAt: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Sessions().ByTokenHash(ctx, h(1))
	if err != nil || got.ID != s1.ID || !bytes.Equal(got.CSRFHash, h(2)) {
		t.Fatalf("ByTokenHash = %v %v", got, err)
	}
	if n, err := s.Sessions().DeleteExpired(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d %v, want 1", n, err)
	}
	if _, err := s.Sessions().ByTokenHash(ctx, h(3)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("expired session %d still there: %v", s2.ID, err)
	}
	if err := s.Users().SetPassword(ctx, u.ID, "h2", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sessions().ByTokenHash(ctx, h(1)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session survived a password change: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	u, err := s.Users().Create(ctx, NewUser{Username: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	hash := bytes.Repeat([]byte{7}, 32)
	k, err := s.APIKeys().Create(ctx, NewAPIKey{UserID: u.ID, Name: "ci", Prefix: "dbk_abc", KeyHash: hash, Permissions: []string{"jobs:read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.APIKeys().Create(ctx, NewAPIKey{UserID: u.ID, Name: "ci", Prefix: "dbk_def", KeyHash: hash}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, gotHash, err := s.APIKeys().ByPrefix(ctx, "dbk_abc")
	if err != nil || got.ID != k.ID || !bytes.Equal(gotHash, hash) || got.Username != "ann" || len(got.Permissions) != 1 {
		t.Fatalf("ByPrefix = %+v %v", got, err)
	}
	if err := s.APIKeys().TouchUsed(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	k, err = s.APIKeys().Revoke(ctx, k.ID)
	if err != nil || k.RevokedAt == nil || k.LastUsedAt == nil {
		t.Fatalf("Revoke = %+v %v", k, err)
	}
	keys, total, err := s.APIKeys().List(ctx, APIKeyFilter{UserID: u.ID}, Page{})
	if err != nil || total != 1 || len(keys) != 1 {
		t.Fatalf("List = %v %d %v", keys, total, err)
	}
	if err := s.Users().Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.APIKeys().ByPrefix(ctx, "dbk_abc"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("key outlived its owner: %v", err)
	}
}
