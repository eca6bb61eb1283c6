package server

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

func fieldsOf(t *testing.T, body []byte) []string {
	t.Helper()
	var env struct {
		Error struct {
			Code   string            `json:"code"`
			Fields []spec.FieldError `json:"fields"`
		}
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Code != "validation" {
		t.Fatalf("not a validation error: %s", body)
	}
	var names []string
	for _, f := range env.Error.Fields {
		names = append(names, f.Field)
	}
	return names
}

func TestAccountInputNamesFields(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	for _, tc := range []struct {
		method, path string
		body         any
		fields       []string
	}{
		{"POST", "/users", map[string]any{"username": "", "password": "short", "email": "not an address"}, []string{"username", "password", "email"}},
		{"POST", "/users", map[string]any{"username": "admin", "password": "long enough password"}, []string{"username"}},
		{"POST", "/users", map[string]any{"username": "x", "password": "long enough password", "role": "admin"}, []string{"role"}},
		{"POST", "/users", map[string]any{"username": 7, "password": "long enough password"}, []string{"username"}},
		{"PATCH", "/users/1", map[string]any{"disabled": "yes"}, []string{"disabled"}},
		{"PUT", "/users/1/password", map[string]any{"password": "short"}, []string{"password"}},
		{"POST", "/groups", map[string]any{"name": " padded ", "permissions": []string{"jobs:fly"}}, []string{"name", "permissions"}},
		{"POST", "/groups", map[string]any{"name": "ADMIN", "permissions": []string{}}, []string{"name"}},
		{"POST", "/api-keys", map[string]any{"name": "", "permissions": []string{}}, []string{"name", "permissions"}},
		{"PUT", "/auth/me/password", map[string]any{"currentPassword": "wrong one here", "newPassword": "a new long password"}, []string{"currentPassword"}},
		{"GET", "/users/abc", nil, []string{"id"}},
		{"PUT", "/groups/1/members/x", nil, []string{"userId"}},
		{"GET", "/users?limit=0", nil, []string{"limit"}},
		{"GET", "/audit?since=yesterday", nil, []string{"since"}},
		{"GET", "/api-keys?userId=-1", nil, []string{"userId"}},
	} {
		status, b := ts.call(admin, tc.method, tc.path, tc.body)
		got := fieldsOf(t, b)
		if status != 400 || !slices.Equal(got, tc.fields) {
			t.Errorf("%s %s %v: %d fields %v, want 400 naming %v: %s", tc.method, tc.path, tc.body, status, got, tc.fields, b)
		}
	}
}

func TestOwnPasswordChangeEndsOtherSessions(t *testing.T) {
	ts := newTestServer(t)
	first := ts.login("admin", adminPassword)
	second := ts.login("admin", adminPassword)
	ts.mustCall(first, "PUT", "/auth/me/password", map[string]string{"currentPassword": adminPassword, "newPassword": "a brand new passphrase"}, 200, nil)
	ts.mustCall(first, "GET", "/auth/me", nil, 200, nil)
	if status, _ := ts.call(second, "GET", "/auth/me", nil); status != 401 {
		t.Fatalf("the other session after a password change: %d, want 401", status)
	}
	ts.login("admin", "a brand new passphrase")
}

func TestAuditFilters(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	var u struct{ Data store.User }
	ts.mustCall(admin, "POST", "/users", map[string]string{"username": "dan", "password": "dan's long password"}, 201, &u)
	ts.mustCall(admin, "PATCH", fmt.Sprintf("/users/%d", u.Data.ID), map[string]any{"displayName": "Dan"}, 200, nil)
	ts.mustCall(admin, "POST", "/groups", map[string]any{"name": "g", "permissions": []string{"jobs:read"}}, 201, nil)
	ts.clock.Advance(time.Hour)
	ts.mustCall(admin, "DELETE", fmt.Sprintf("/users/%d", u.Data.ID), nil, 200, nil)

	list := func(query string) []store.AuditEntry {
		t.Helper()
		var env struct {
			Data struct {
				Items []store.AuditEntry `json:"items"`
				Total int                `json:"total"`
			}
		}
		ts.mustCall(admin, "GET", "/audit?"+query, nil, 200, &env)
		return env.Data.Items
	}
	actions := func(es []store.AuditEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Action)
		}
		return out
	}
	if got := actions(list("action=users.")); !slices.Equal(got, []string{"users.delete", "users.update", "users.create"}) {
		t.Errorf("action=users.: %v", got)
	}
	if got := actions(list("action=groups.create")); !slices.Equal(got, []string{"groups.create"}) {
		t.Errorf("action=groups.create: %v", got)
	}
	if got := actions(list(fmt.Sprintf("targetType=user&targetId=%d", u.Data.ID))); len(got) != 3 {
		t.Errorf("target user %d: %v", u.Data.ID, got)
	}
	since := url.QueryEscape(ts.clock.Now().Add(-time.Minute).Format(time.RFC3339))
	if got := actions(list("since=" + since)); !slices.Equal(got, []string{"users.delete"}) {
		t.Errorf("since an hour later: %v", got)
	}
	es := list(fmt.Sprintf("userId=%d&limit=1", ts.admin.ID))
	if len(es) != 1 || es[0].Actor != "admin" || es[0].IP == "" || !strings.HasPrefix(es[0].Action, "users.") {
		t.Errorf("userId filter with limit 1: %+v", es)
	}
}
