package server

import (
	"fmt"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// An action taken with an API key is recorded as the key's owner acting
// through that key: userId is the owner (not whoever else is signed in, not
// the admin who granted the rights), apiKeyId the key; the same owner
// acting through a session has no apiKeyId.
func TestAuditNamesAPIKeyAndOwner(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	var ops struct{ Data store.User }
	ts.mustCall(admin, "POST", "/users", map[string]string{"username": "ops", "password": "ops's long password"}, 201, &ops)
	var g struct{ Data store.Group }
	ts.mustCall(admin, "POST", "/groups", map[string]any{"name": "operators",
		"permissions": []auth.Permission{auth.UsersWrite, auth.APIKeysWrite}}, 201, &g)
	ts.mustCall(admin, "PUT", fmt.Sprintf("/groups/%d/members/%d", g.Data.ID, ops.Data.ID), nil, 200, nil)

	session := ts.login("ops", "ops's long password")
	keyID, token := ts.key(session, "ci", []auth.Permission{auth.UsersWrite}, nil)
	var viaKey struct{ Data store.User }
	ts.mustCall(&creds{key: token}, "POST", "/users", map[string]string{"username": "made-by-key", "password": "a long enough password"}, 201, &viaKey)

	var env struct {
		Data struct{ Items []store.AuditEntry }
	}
	ts.mustCall(admin, "GET", "/audit?action=users.create", nil, 200, &env)
	var byKey *store.AuditEntry
	for i, e := range env.Data.Items {
		if e.TargetID == fmt.Sprint(viaKey.Data.ID) {
			byKey = &env.Data.Items[i]
		}
	}
	switch {
	case byKey == nil:
		t.Fatalf("no users.create entry for user %d: %+v", viaKey.Data.ID, env.Data.Items)
	case byKey.UserID == nil || *byKey.UserID != ops.Data.ID:
		t.Errorf("userId = %v, want the key's owner %d", byKey.UserID, ops.Data.ID)
	case byKey.APIKeyID == nil || *byKey.APIKeyID != keyID:
		t.Errorf("apiKeyId = %v, want %d", byKey.APIKeyID, keyID)
	case byKey.Actor != "ops (API key)":
		t.Errorf("actor = %q, want %q", byKey.Actor, "ops (API key)")
	}

	var keyEnv struct {
		Data struct{ Items []store.AuditEntry }
	}
	ts.mustCall(admin, "GET", "/audit?action=api-keys.create", nil, 200, &keyEnv)
	if len(keyEnv.Data.Items) != 1 {
		t.Fatalf("api-keys.create entries: %+v", keyEnv.Data.Items)
	}
	if e := keyEnv.Data.Items[0]; e.UserID == nil || *e.UserID != ops.Data.ID || e.APIKeyID != nil || e.Actor != "ops" {
		t.Errorf("key created through a session recorded as %+v, want userId %d, no apiKeyId, actor ops", e, ops.Data.ID)
	}
}
