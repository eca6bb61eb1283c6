package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
)

// These tests run the real server: real routes, the real auth service and
// a real state database in a temporary directory. Only argon2id's cost is
// lowered, so the suite stays fast under -race.

const adminPassword = "correct horse battery staple"

// clock is a settable time source shared by the store and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type testServer struct {
	t     *testing.T
	srv   *Server
	st    *store.Store
	svc   *auth.Service
	clock *clock
	// admin is the first account, holding every permission.
	admin store.User
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	st := storetest.Open(t, clk.Now)
	svc, err := auth.New(ctx, auth.Options{Store: st, Now: clk.Now,
		PasswordParams: &auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{Version: "test", State: st, API: api.New(api.Deps{Auth: svc, Accounts: svc, Audit: st.Audit()})})
	ts := &testServer{t: t, srv: srv, st: st, svc: svc, clock: clk}
	var env struct{ Data store.User }
	ts.mustCall(nil, "POST", "/auth/setup", map[string]string{"username": "admin", "password": adminPassword}, 201, &env)
	ts.admin = env.Data
	return ts
}

// creds is how a request authenticates: an API key or a session cookie
// with its CSRF token (csrf "" sends none).
type creds struct {
	key    string
	cookie *http.Cookie
	csrf   string
}

func (ts *testServer) do(c *creds, method, path string, body any) *http.Response {
	ts.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, api.Prefix+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c != nil {
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		if c.cookie != nil {
			req.AddCookie(c.cookie)
		}
		if c.csrf != "" {
			req.Header.Set(auth.CSRFHeader, c.csrf)
		}
	}
	resp, err := ts.srv.App().Test(req, patient)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp
}

// call sends a request and returns the status and body.
func (ts *testServer) call(c *creds, method, path string, body any) (int, []byte) {
	ts.t.Helper()
	resp := ts.do(c, method, path, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (ts *testServer) mustCall(c *creds, method, path string, body any, want int, out any) []byte {
	ts.t.Helper()
	status, b := ts.call(c, method, path, body)
	if status != want {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			ts.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// login signs in and returns the session cookie and CSRF token.
func (ts *testServer) login(username, password string) *creds {
	ts.t.Helper()
	resp := ts.do(nil, "POST", "/auth/login", map[string]string{"username": username, "password": password})
	defer resp.Body.Close()
	var env struct {
		Data struct {
			CSRFToken string `json:"csrfToken"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != 200 {
		ts.t.Fatalf("login %s: status %d, %v", username, resp.StatusCode, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.SessionCookie {
			return &creds{cookie: ck, csrf: env.Data.CSRFToken}
		}
	}
	ts.t.Fatal("login set no session cookie")
	return nil
}

// key creates an API key with perms, acting as c.
func (ts *testServer) key(c *creds, name string, perms []auth.Permission, expires *time.Time) (int64, string) {
	ts.t.Helper()
	var env struct {
		Data struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
	}
	body := map[string]any{"name": name, "permissions": perms}
	if expires != nil {
		body["expiresAt"] = expires.Format(time.RFC3339)
	}
	ts.mustCall(c, "POST", "/api-keys", body, 201, &env)
	return env.Data.ID, env.Data.Token
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var env api.Envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Error == nil {
		t.Fatalf("not an error envelope: %s", body)
	}
	return env.Error.Code
}

// TestEveryProtectedRoute walks Fiber's route table: every route that is
// not public answers 401 without credentials (and with an unknown key), and
// every route requiring a permission answers 403 to an API key, and to a
// signed-in session with its CSRF token, holding every other permission.
// Path parameters are filled with 1.
func TestEveryProtectedRoute(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	// For each permission, an API key and a session (a user in a group)
	// holding every other one.
	keys := map[auth.Permission]string{}
	sessions := map[auth.Permission]*creds{}
	for i, p := range auth.All() {
		var others []auth.Permission
		for _, o := range auth.All() {
			if o != p {
				others = append(others, o)
			}
		}
		_, keys[p] = ts.key(admin, "all but "+string(p), others, nil)
		var u struct{ Data store.User }
		name, password := fmt.Sprintf("user%d", i), fmt.Sprintf("password of user %d", i)
		ts.mustCall(admin, "POST", "/users", map[string]string{"username": name, "password": password}, 201, &u)
		var g struct{ Data store.Group }
		ts.mustCall(admin, "POST", "/groups", map[string]any{"name": "all but " + string(p), "permissions": others}, 201, &g)
		ts.mustCall(admin, "PUT", fmt.Sprintf("/groups/%d/members/%d", g.Data.ID, u.Data.ID), nil, 200, nil)
		sessions[p] = ts.login(name, password)
	}
	param := regexp.MustCompile(`:[A-Za-z]+`)
	checked := 0
	for _, r := range ts.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, api.Prefix) || r.Name == api.RouteNamePublic || r.Method == "HEAD" {
			continue
		}
		path := strings.TrimPrefix(param.ReplaceAllString(r.Path, "1"), api.Prefix)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			status, body := ts.call(nil, r.Method, path, nil)
			if status != 401 || errorCode(t, body) != api.CodeUnauthenticated {
				t.Errorf("without credentials: %d %s, want 401", status, body)
			}
			status, body = ts.call(&creds{key: "dbk_notakeyatallnotakeyatallnotakeyatallnotakeyatall1234"}, r.Method, path, nil)
			if status != 401 {
				t.Errorf("with an unknown key: %d %s, want 401", status, body)
			}
			perm, ok := strings.CutPrefix(r.Name, api.RouteNamePermPrefix)
			if !ok {
				return // authenticated: any principal may call it
			}
			status, body = ts.call(&creds{key: keys[auth.Permission(perm)]}, r.Method, path, nil)
			if status != 403 || errorCode(t, body) != api.CodeForbidden {
				t.Errorf("with a key holding every permission but %s: %d %s, want 403", perm, status, body)
			}
			status, body = ts.call(sessions[auth.Permission(perm)], r.Method, path, nil)
			if status != 403 || errorCode(t, body) != api.CodeForbidden {
				t.Errorf("with a session holding every permission but %s: %d %s, want 403", perm, status, body)
			}
		})
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d protected routes found; is the API mounted?", checked)
	}
	t.Logf("%d protected routes checked", checked)
}

func TestCSRF(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login("admin", adminPassword)
	body := map[string]any{"name": "ops", "permissions": []string{"jobs:read"}}
	for _, tc := range []struct {
		name, csrf string
		want       int
	}{
		{"without a token", "", 403},
		{"with a wrong token", "not-the-token", 403},
		{"with another session's token", ts.login("admin", adminPassword).csrf, 403},
	} {
		status, b := ts.call(&creds{cookie: c.cookie, csrf: tc.csrf}, "POST", "/groups", body)
		if status != tc.want || errorCode(t, b) != api.CodeCSRF {
			t.Errorf("cookie POST %s: %d %s, want 403 csrf", tc.name, status, b)
		}
	}
	// Reads need no token; the token from /auth/me is the login's.
	var me struct {
		Data struct {
			CSRFToken string `json:"csrfToken"`
		}
	}
	ts.mustCall(&creds{cookie: c.cookie}, "GET", "/auth/me", nil, 200, &me)
	if me.Data.CSRFToken != c.csrf {
		t.Fatalf("/auth/me CSRF token %q differs from the login's %q", me.Data.CSRFToken, c.csrf)
	}
	ts.mustCall(c, "POST", "/groups", body, 201, nil)
	// API keys carry no ambient authority and need no CSRF token.
	_, key := ts.key(c, "k", []auth.Permission{auth.GroupsWrite}, nil)
	ts.mustCall(&creds{key: key}, "DELETE", "/groups/2", nil, 200, nil)
}

func TestSessionCookieFlags(t *testing.T) {
	ts := newTestServer(t)
	body := fmt.Sprintf(`{"username":"admin","password":%q}`, adminPassword)
	// Over plain HTTP: no Secure flag, or the browser would never send it.
	resp := ts.do(nil, "POST", "/auth/login", json.RawMessage(body))
	resp.Body.Close()
	checkCookie(t, resp, false)

	// Over TLS, on a real listener: Secure.
	certs := httptest.NewUnstartedServer(nil)
	certs.StartTLS()
	client := certs.Client()
	cfg := certs.TLS.Clone()
	certs.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ts.srv.Serve(ctx, ln, time.Second) }()
	defer func() { cancel(); <-served }()
	resp, err = client.Post("https://"+ln.Addr().String()+api.Prefix+"/auth/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	checkCookie(t, resp, true)
}

func checkCookie(t *testing.T, resp *http.Response, tls bool) {
	t.Helper()
	raw := resp.Header.Get("Set-Cookie")
	for _, want := range []string{auth.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("tls=%v: Set-Cookie %q lacks %q", tls, raw, want)
		}
	}
	if strings.Contains(strings.ToLower(raw), "secure") != tls {
		t.Errorf("tls=%v: Set-Cookie %q: Secure must be set exactly under TLS", tls, raw)
	}
}

func TestSessionExpiryAndLogout(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	if err := ts.st.Settings().SetSessionTTL(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	c := ts.login("admin", adminPassword)
	ts.mustCall(c, "GET", "/auth/me", nil, 200, nil)
	// Activity slides the expiry: 50 minutes, a request, 50 minutes more.
	ts.clock.Advance(50 * time.Minute)
	ts.mustCall(c, "GET", "/auth/me", nil, 200, nil)
	ts.clock.Advance(50 * time.Minute)
	ts.mustCall(c, "GET", "/auth/me", nil, 200, nil)
	ts.clock.Advance(61 * time.Minute)
	if status, b := ts.call(c, "GET", "/auth/me", nil); status != 401 {
		t.Fatalf("after the TTL without activity: %d %s, want 401", status, b)
	}
	c = ts.login("admin", adminPassword)
	resp := ts.do(&creds{cookie: c.cookie}, "POST", "/auth/logout", nil)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Set-Cookie"), "max-age=0") {
		t.Fatalf("logout: %d, Set-Cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	if status, _ := ts.call(c, "GET", "/auth/me", nil); status != 401 {
		t.Fatalf("after logout: %d, want 401", status)
	}
}

func TestLoginRateLimit(t *testing.T) {
	ts := newTestServer(t)
	limit := auth.DefaultLimitParams.PerAccount
	for i := 0; i < limit; i++ {
		if status, _ := ts.call(nil, "POST", "/auth/login", map[string]string{"username": "admin", "password": "wrong password!"}); status != 401 {
			t.Fatalf("failed attempt %d: %d, want 401", i+1, status)
		}
	}
	resp := ts.do(nil, "POST", "/auth/login", map[string]string{"username": "admin", "password": adminPassword})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || errorCode(t, b) != api.CodeRateLimited || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures even the right password: %d %s Retry-After=%q, want 429 with Retry-After",
			limit, resp.StatusCode, b, resp.Header.Get("Retry-After"))
	}
	ts.clock.Advance(auth.DefaultLimitParams.Window)
	ts.login("admin", adminPassword)
}

func TestSetupOnce(t *testing.T) {
	ts := newTestServer(t)
	var env struct {
		Data struct {
			SetupRequired bool `json:"setupRequired"`
		}
	}
	ts.mustCall(nil, "GET", "/auth/setup", nil, 200, &env)
	if env.Data.SetupRequired {
		t.Fatal("setup still required after setup")
	}
	status, b := ts.call(nil, "POST", "/auth/setup", map[string]string{"username": "mallory", "password": "another long password"})
	if status != 409 {
		t.Fatalf("second setup: %d %s, want 409", status, b)
	}
}

func TestAPIKeyScopeExpiryRevocation(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	// A user holding users:read and api-keys:write only.
	var u struct{ Data store.User }
	ts.mustCall(admin, "POST", "/users", map[string]string{"username": "ann", "password": "ann's long password"}, 201, &u)
	var g struct{ Data store.Group }
	ts.mustCall(admin, "POST", "/groups", map[string]any{"name": "readers",
		"permissions": []string{"users:read", "api-keys:write"}}, 201, &g)
	ts.mustCall(admin, "PUT", fmt.Sprintf("/groups/%d/members/%d", g.Data.ID, u.Data.ID), nil, 200, nil)
	ann := ts.login("ann", "ann's long password")

	// Asking for more than one holds names what is missing.
	status, b := ts.call(ann, "POST", "/api-keys", map[string]any{"name": "k", "permissions": []string{"users:read", "users:write", "jobs:run"}})
	if status != 400 || !strings.Contains(string(b), `"field":"permissions"`) || !strings.Contains(string(b), "jobs:run") {
		t.Fatalf("unknown permission: %d %s", status, b)
	}
	status, b = ts.call(ann, "POST", "/api-keys", map[string]any{"name": "k", "permissions": []string{"users:read", "users:write"}})
	if status != 400 || !strings.Contains(string(b), `\"users:write\"`) {
		t.Fatalf("permission beyond the creator's: %d %s, want 400 naming users:write", status, b)
	}
	id, key := ts.key(ann, "k", []auth.Permission{auth.UsersRead}, nil)
	kc := &creds{key: key}
	ts.mustCall(kc, "GET", "/users", nil, 200, nil)
	// Scope ∩ owner's current permissions: when the group loses users:read,
	// so does the key.
	ts.mustCall(admin, "PATCH", fmt.Sprintf("/groups/%d", g.Data.ID), map[string]any{"permissions": []string{"api-keys:write"}}, 200, nil)
	if status, _ := ts.call(kc, "GET", "/users", nil); status != 403 {
		t.Fatalf("key after its owner lost users:read: %d, want 403", status)
	}
	ts.mustCall(admin, "PATCH", fmt.Sprintf("/groups/%d", g.Data.ID), map[string]any{"permissions": []string{"users:read", "api-keys:write"}}, 200, nil)
	ts.mustCall(kc, "GET", "/users", nil, 200, nil)
	// A disabled owner's keys stop working.
	ts.mustCall(admin, "PATCH", fmt.Sprintf("/users/%d", u.Data.ID), map[string]any{"disabled": true}, 200, nil)
	if status, _ := ts.call(kc, "GET", "/users", nil); status != 401 {
		t.Fatalf("key of a disabled owner: %d, want 401", status)
	}
	ts.mustCall(admin, "PATCH", fmt.Sprintf("/users/%d", u.Data.ID), map[string]any{"disabled": false}, 200, nil)
	ts.mustCall(kc, "GET", "/users", nil, 200, nil)
	// Revoked by its owner (no permission needed for one's own keys).
	ann = ts.login("ann", "ann's long password")
	ts.mustCall(ann, "DELETE", fmt.Sprintf("/auth/me/api-keys/%d", id), nil, 200, nil)
	if status, _ := ts.call(kc, "GET", "/users", nil); status != 401 {
		t.Fatalf("revoked key: %d, want 401", status)
	}
	// Expiry.
	in := ts.clock.Now().Add(time.Hour)
	_, key = ts.key(admin, "short", []auth.Permission{auth.UsersRead}, &in)
	ts.mustCall(&creds{key: key}, "GET", "/users", nil, 200, nil)
	ts.clock.Advance(time.Hour)
	if status, _ := ts.call(&creds{key: key}, "GET", "/users", nil); status != 401 {
		t.Fatalf("expired key: %d, want 401", status)
	}
	past := ts.clock.Now().Add(-time.Minute)
	status, b = ts.call(admin, "POST", "/api-keys", map[string]any{"name": "old", "permissions": []string{"users:read"}, "expiresAt": past})
	if status != 400 || !strings.Contains(string(b), `"field":"expiresAt"`) {
		t.Fatalf("key expiring in the past: %d %s", status, b)
	}
}

func TestLastAdminAndBuiltinGroup(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	id := ts.admin.ID
	for _, tc := range []struct{ method, path string }{
		{"PATCH", fmt.Sprintf("/users/%d", id)},
		{"DELETE", fmt.Sprintf("/users/%d", id)},
		{"DELETE", fmt.Sprintf("/groups/1/members/%d", id)},
		{"DELETE", "/groups/1"},
		{"PATCH", "/groups/1"},
	} {
		var body any
		switch tc.path {
		case "/groups/1":
			body = map[string]any{"permissions": []string{"users:read"}}
		default:
			if tc.method == "PATCH" {
				body = map[string]any{"disabled": true}
			}
		}
		status, b := ts.call(admin, tc.method, tc.path, body)
		if status != 409 || !strings.Contains(string(b), "admin group") {
			t.Errorf("%s %s: %d %s, want 409 saying why", tc.method, tc.path, status, b)
		}
	}
}

// Privilege is not escalated through account management: a user who may
// edit groups and users cannot grant or seize what they do not hold.
func TestNoEscalation(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	var u struct{ Data store.User }
	ts.mustCall(admin, "POST", "/users", map[string]string{"username": "bob", "password": "bob's long password"}, 201, &u)
	var g struct{ Data store.Group }
	ts.mustCall(admin, "POST", "/groups", map[string]any{"name": "helpdesk",
		"permissions": []string{"users:read", "users:write", "groups:read", "groups:write"}}, 201, &g)
	ts.mustCall(admin, "PUT", fmt.Sprintf("/groups/%d/members/%d", g.Data.ID, u.Data.ID), nil, 200, nil)
	bob := ts.login("bob", "bob's long password")
	if status, b := ts.call(bob, "PUT", fmt.Sprintf("/groups/1/members/%d", u.Data.ID), nil); status != 403 {
		t.Errorf("joining the admin group: %d %s, want 403", status, b)
	}
	if status, b := ts.call(bob, "PATCH", fmt.Sprintf("/groups/%d", g.Data.ID), map[string]any{"permissions": []string{"users:read", "settings:write"}}); status != 400 {
		t.Errorf("granting settings:write: %d %s, want 400", status, b)
	}
	if status, b := ts.call(bob, "PUT", fmt.Sprintf("/users/%d/password", ts.admin.ID), map[string]string{"password": "taken over, ha ha"}); status != 403 {
		t.Errorf("setting the admin's password: %d %s, want 403", status, b)
	}
}

// Nothing the API answers carries a password hash, a token hash or a
// password; the audit log records changes without secrets.
func TestNoSecretsInAnswers(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	var u struct{ Data store.User }
	ts.mustCall(admin, "POST", "/users", map[string]string{"username": "carol", "password": "carol's long password"}, 201, &u)
	ts.mustCall(admin, "PUT", fmt.Sprintf("/users/%d/password", u.Data.ID), map[string]string{"password": "carol's new password"}, 200, nil)
	_, key := ts.key(admin, "k", []auth.Permission{auth.UsersRead}, nil)
	var all []byte
	for _, path := range []string{"/users", fmt.Sprintf("/users/%d", u.Data.ID), "/auth/me", "/api-keys", "/api-keys/1",
		"/auth/me/api-keys", "/groups", "/groups/1/members", "/audit?limit=500"} {
		all = append(all, ts.mustCall(admin, "GET", path, nil, 200, nil)...)
	}
	for _, secret := range []string{"$argon2id$", adminPassword, "carol's long password", "carol's new password", key,
		key[len("dbk_")+8:], "passwordHash", "password_hash", "keyHash", "tokenHash"} {
		if bytes.Contains(all, []byte(secret)) {
			t.Errorf("an answer contains %q", secret)
		}
	}
	if !bytes.Contains(all, []byte(`"action":"users.set_password"`)) || !bytes.Contains(all, []byte(`"action":"api-keys.create"`)) {
		t.Error("the audit log lacks the changes made")
	}
}
