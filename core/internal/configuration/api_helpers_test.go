package configuration_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// allowAll is a test-only Authenticator: every request acts as a principal
// holding every permission. These tests are of the configuration API, not
// of authentication, which has its own tests; this stands in for the
// accounts service so the routes' guard lets the requests through.
type allowAll struct{}

func (allowAll) Authenticate(fiber.Ctx) (*auth.Principal, error) {
	perms := auth.All()
	slices.Sort(perms) // Principal.Has searches a sorted set
	return &auth.Principal{UserID: testUserID, Username: "tester", Permissions: perms}, nil
}

// testUserID is the user newEnv inserts for allowAll's principal, so that
// audit entries (which refer to users) are recorded.
const testUserID = 1

// env is one test's API over a fresh state database and the shared host.
type env struct {
	t   *testing.T
	app *fiber.App
	st  *store.Store
	dir string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvProbing(t, 20*time.Second)
}

// newEnvProbing is newEnv with the given bound on calls through plugins.
func newEnvProbing(t *testing.T, probeTimeout time.Duration) *env {
	t.Helper()
	st := storetest.Open(t, nil)
	// The accounts repositories are not this package's to use; one raw row
	// is the user the audit log's entries point at.
	db, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO users (id, username, created_at, updated_at) VALUES (?, 'tester', ?, ?)`,
		testUserID, "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	svc := configuration.New(configuration.Options{Store: st, Plugins: testHost, Loaded: testLoaded, ProbeTimeout: probeTimeout})
	app := fiber.New(fiber.Config{ErrorHandler: api.ErrorHandler})
	api.New(api.Deps{Auth: allowAll{}, Audit: st.Audit(), Configuration: svc}).Mount(app)
	return &env{t: t, app: app, st: st, dir: t.TempDir()}
}

// answer is a decoded envelope, with the raw body for searching.
type answer struct {
	Status  int
	Raw     string
	Success bool            `json:"success"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
	Error   *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  []spec.FieldError `json:"fields"`
	} `json:"error"`
}

// call sends method path with body (a string is sent as is, anything else
// as JSON) and decodes the envelope.
func (e *env) call(method, path string, body any) answer {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, api.Prefix+path, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.app.Test(req, fiber.TestConfig{Timeout: time.Minute})
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	a := answer{Status: resp.StatusCode, Raw: string(raw)}
	if err := json.Unmarshal(raw, &a); err != nil {
		e.t.Fatalf("%s %s: answer is not the envelope: %v\n%s", method, path, err, raw)
	}
	return a
}

// must calls and fails the test unless the status is want; it decodes data
// into out when out is not nil.
func (e *env) must(want int, method, path string, body, out any) answer {
	e.t.Helper()
	a := e.call(method, path, body)
	if a.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, a.Status, want, a.Raw)
	}
	if out != nil {
		if err := json.Unmarshal(a.Data, out); err != nil {
			e.t.Fatalf("%s %s: data: %v\n%s", method, path, err, a.Raw)
		}
	}
	return a
}

// invalid calls, expects a 400 validation answer and returns the fields
// named, as "field: message".
func (e *env) invalid(method, path string, body any) []spec.FieldError {
	e.t.Helper()
	a := e.call(method, path, body)
	if a.Status != 400 || a.Error == nil || a.Error.Code != api.CodeValidation {
		e.t.Fatalf("%s %s: want 400 validation, got %d\n%s", method, path, a.Status, a.Raw)
	}
	return a.Error.Fields
}

// hasField reports whether fields names field with a message holding part.
func hasField(fields []spec.FieldError, field, part string) bool {
	for _, f := range fields {
		if f.Field == field && strings.Contains(f.Message, part) {
			return true
		}
	}
	return false
}

// sqliteFile makes a real SQLite database with one table and a row, and
// returns its path.
func (e *env) sqliteFile(name string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, name)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('hello')"); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// Resources the tests make often.

func (e *env) source(name, path string) configuration.Connection {
	e.t.Helper()
	var c configuration.Connection
	e.must(201, "POST", "/sources", map[string]any{"name": name, "pluginId": "database-sqlite",
		"config": map[string]any{"path": path}}, &c)
	return c
}

func (e *env) destination(name string) configuration.Connection {
	e.t.Helper()
	var c configuration.Connection
	e.must(201, "POST", "/destinations", map[string]any{"name": name, "pluginId": "storage-local",
		"config": map[string]any{"path": filepath.Join(e.dir, "backups-"+name), "create": true}}, &c)
	return c
}

func (e *env) channel(name, url string) configuration.Connection {
	e.t.Helper()
	var c configuration.Connection
	e.must(201, "POST", "/notification-channels", map[string]any{"name": name, "pluginId": "notification-webhook",
		"config": map[string]any{"url": url}}, &c)
	return c
}

func (e *env) profile(name string) configuration.Profile {
	e.t.Helper()
	var p configuration.Profile
	e.must(201, "POST", "/encryption-profiles", map[string]any{"name": name}, &p)
	return p
}
