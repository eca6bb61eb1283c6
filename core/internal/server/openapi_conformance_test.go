package server

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
	"github.com/dbkeep/dbkeep/core/internal/execlog"
	"github.com/dbkeep/dbkeep/core/internal/executions"
	"github.com/dbkeep/dbkeep/core/internal/queue"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// conformance checks real exchanges against the served OpenAPI document:
// the request against its operation, the answer's status and body against
// the documented response (an undocumented status fails).
type conformance struct {
	ts  *testServer
	doc *openapi3.T
}

func newConformance(t *testing.T, ts *testServer) *conformance {
	t.Helper()
	resp, err := ts.srv.App().Test(httptest.NewRequest("GET", api.Prefix+api.OpenAPIPath, nil), patient)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &conformance{ts: ts, doc: doc}
}

// find returns the operation whose template matches path, with its
// parameters.
func (cf *conformance) find(method, path string) (*routers.Route, map[string]string) {
	segs := strings.Split(path, "/")
	for tmpl, item := range cf.doc.Paths.Map() {
		op := item.GetOperation(method)
		parts := strings.Split(tmpl, "/")
		if op == nil || len(parts) != len(segs) {
			continue
		}
		params := map[string]string{}
		match := true
		for i, p := range parts {
			switch {
			case strings.HasPrefix(p, "{"):
				params[strings.Trim(p, "{}")] = segs[i]
			case p != segs[i]:
				match = false
			}
		}
		if match {
			return &routers.Route{Spec: cf.doc, Path: tmpl, PathItem: item, Method: method, Operation: op}, params
		}
	}
	return nil, nil
}

// The validator decodes a body by its media type before checking it; the
// answers that are not JSON are read as the text they are (an event
// stream) or as bytes (a zip), and their schema is a string.
func init() {
	openapi3filter.RegisterBodyDecoder(api.MIMEEventStream, openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
}

// call makes the request and checks both sides against the document, the
// answer with the headers it came with (Content-Type picks the documented
// media type; documented headers such as Content-Disposition are checked).
func (cf *conformance) call(t *testing.T, c *creds, method, pathAndQuery string, body any, want int) ([]byte, http.Header) {
	t.Helper()
	var reqBody []byte
	if body != nil {
		reqBody, _ = json.Marshal(body)
	}
	request := func() *http.Request {
		req := httptest.NewRequest(method, api.Prefix+pathAndQuery, bytes.NewReader(reqBody))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req
	}
	sent := request()
	if c != nil {
		if c.key != "" {
			sent.Header.Set("Authorization", "Bearer "+c.key)
		}
		if c.cookie != nil {
			sent.AddCookie(c.cookie)
		}
		if c.csrf != "" {
			sent.Header.Set(auth.CSRFHeader, c.csrf)
		}
	}
	resp, err := cf.ts.srv.App().Test(sent, patient)
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: %v", method, pathAndQuery, err)
	}
	status := resp.StatusCode
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, pathAndQuery, status, want, b)
	}
	path, _, _ := strings.Cut(pathAndQuery, "?")
	route, params := cf.find(method, path)
	if route == nil {
		t.Fatalf("%s %s: no operation in the document", method, path)
	}
	// The document is checked against the request as the client wrote it,
	// credentials aside (the validator does not authenticate).
	req := request()
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		t.Errorf("%s %s: the request does not match the document: %v", method, pathAndQuery, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
		Header: resp.Header, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the %d answer does not match the document: %v\n%.2000s", method, pathAndQuery, status, err, b)
	}
	return b, resp.Header
}

// TestAnswersMatchOpenAPI drives the account routes with real requests and
// checks every exchange, successes and errors, against the document: a
// wrong status (200 documented, 201 sent), a missing or mistyped field, or
// an error outside the envelope fails here.
func TestAnswersMatchOpenAPI(t *testing.T) {
	ts := newTestServer(t)
	cf := newConformance(t, ts)
	admin := ts.login("admin", adminPassword)

	cf.call(t, nil, "GET", "/auth/setup", nil, 200)
	cf.call(t, nil, "POST", "/auth/login", map[string]string{"username": "admin", "password": adminPassword}, 200)
	cf.call(t, nil, "POST", "/auth/login", map[string]string{"username": "admin", "password": "wrong password"}, 401)
	cf.call(t, admin, "GET", "/auth/me", nil, 200)
	cf.call(t, admin, "GET", "/permissions", nil, 200)

	var u struct{ Data store.User }
	b, _ := cf.call(t, admin, "POST", "/users", map[string]string{"username": "eve", "password": "eve's long password"}, 201)
	json.Unmarshal(b, &u)
	user := fmt.Sprintf("/users/%d", u.Data.ID)
	cf.call(t, admin, "POST", "/users", map[string]any{"username": "", "password": "x"}, 400)
	cf.call(t, admin, "GET", "/users?limit=10&offset=0", nil, 200)
	cf.call(t, admin, "GET", user, nil, 200)
	cf.call(t, admin, "GET", "/users/999", nil, 404)
	cf.call(t, admin, "PATCH", user, map[string]any{"displayName": "Eve", "email": nil}, 200)
	cf.call(t, admin, "PUT", user+"/password", map[string]string{"password": "another long password"}, 200)

	var g struct{ Data store.Group }
	b, _ = cf.call(t, admin, "POST", "/groups", map[string]any{"name": "readers", "permissions": []auth.Permission{auth.JobsRead}}, 201)
	json.Unmarshal(b, &g)
	group := fmt.Sprintf("/groups/%d", g.Data.ID)
	cf.call(t, admin, "GET", "/groups", nil, 200)
	cf.call(t, admin, "GET", group, nil, 200)
	cf.call(t, admin, "PATCH", group, map[string]any{"permissions": []auth.Permission{auth.JobsRead, auth.UsersRead}}, 200)
	cf.call(t, admin, "PUT", fmt.Sprintf("%s/members/%d", group, u.Data.ID), nil, 200)
	cf.call(t, admin, "GET", group+"/members", nil, 200)
	cf.call(t, admin, "DELETE", fmt.Sprintf("%s/members/%d", group, u.Data.ID), nil, 200)

	var k struct{ Data struct{ ID int64 } }
	b, _ = cf.call(t, admin, "POST", "/api-keys", map[string]any{"name": "ci", "permissions": []auth.Permission{auth.UsersRead}}, 201)
	json.Unmarshal(b, &k)
	cf.call(t, admin, "GET", "/api-keys?userId=1", nil, 200)
	cf.call(t, admin, "GET", fmt.Sprintf("/api-keys/%d", k.Data.ID), nil, 200)
	cf.call(t, admin, "GET", "/auth/me/api-keys", nil, 200)
	cf.call(t, admin, "DELETE", fmt.Sprintf("/auth/me/api-keys/%d", k.Data.ID), nil, 200)
	cf.call(t, admin, "DELETE", fmt.Sprintf("/api-keys/%d", k.Data.ID), nil, 200)

	cf.call(t, admin, "GET", "/audit?action=users.&limit=5", nil, 200)
	cf.call(t, nil, "GET", "/audit", nil, 401)
	cf.call(t, admin, "DELETE", group, nil, 200)
	cf.call(t, admin, "DELETE", user, nil, 200)
	cf.call(t, admin, "PUT", "/auth/me/password", map[string]string{"currentPassword": adminPassword, "newPassword": "a brand new long password"}, 200)
	cf.call(t, admin, "POST", "/auth/logout", nil, 200)
}

// idleRunner is the queue's runner in a queue that is never started: runs
// stay pending, which is what the answers below need, and nothing runs.
type idleRunner struct{ t *testing.T }

func (r idleRunner) Run(_ context.Context, ex store.Execution) {
	r.t.Errorf("execution %d ran, but the queue was never started", ex.ID)
}
func (idleRunner) CleanupInterrupted(context.Context, int64) error { return nil }

// newExecServer is the real server with the configuration and execution
// services over the real store, queue (not started) and journal, and one
// job whose source and destination exist only as records: running it only
// queues it.
func newExecServer(t *testing.T) (*testServer, int64) {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC()}
	st := storetest.Open(t, clk.Now)
	svc, err := auth.New(ctx, auth.Options{Store: st, Now: clk.Now, PasswordParams: &auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	journal := execlog.New(st.Executions(), nil)
	t.Cleanup(func() { journal.Close() })
	q := queue.New(queue.Options{Store: st, Runner: idleRunner{t}})
	srv := New(Options{Version: "test", State: st, API: api.New(api.Deps{Auth: svc, Accounts: svc, Audit: st.Audit(),
		Configuration: configuration.New(configuration.Options{Store: st, Now: clk.Now}),
		Executions:    executions.New(st, q, journal)})})
	ts := &testServer{t: t, srv: srv, st: st, svc: svc, clock: clk}
	var env struct{ Data store.User }
	ts.mustCall(nil, "POST", "/auth/setup", map[string]string{"username": "admin", "password": adminPassword}, 201, &env)
	ts.admin = env.Data

	src, err := st.Sources().Create(ctx, store.ConnectionInput{Name: "src", PluginID: "database-sqlite", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	dst, err := st.Destinations().Create(ctx, store.ConnectionInput{Name: "dst", PluginID: "storage-local", Config: spec.Config{}})
	if err != nil {
		t.Fatal(err)
	}
	job, err := st.Jobs().Create(ctx, store.JobInput{Name: "nightly", SourceID: src.ID, AllDatabases: true, Compression: "zstd",
		Destinations: []store.JobDestination{{DestinationID: dst.ID, Retention: store.Retention{Policy: store.RetentionKeepAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	return ts, job.ID
}

// TestNonEnvelopeAnswersMatchOpenAPI checks the answers that are not a 200
// envelope against the document: run and cancel answer 202, a second run
// 409 already_queued with the queued execution as data, the event stream
// of a finished run is text/event-stream, and the recovery kit a zip
// attachment.
func TestNonEnvelopeAnswersMatchOpenAPI(t *testing.T) {
	ts, job := newExecServer(t)
	cf := newConformance(t, ts)
	admin := ts.login("admin", adminPassword)

	b, _ := cf.call(t, admin, "POST", fmt.Sprintf("/jobs/%d/run", job), nil, 202)
	var run struct {
		Data struct {
			ID     int64
			Status string
		}
	}
	if err := json.Unmarshal(b, &run); err != nil || run.Data.Status != "pending" {
		t.Fatalf("run: %s (%v)", b, err)
	}
	b, _ = cf.call(t, admin, "POST", fmt.Sprintf("/jobs/%d/run", job), nil, 409)
	var again struct {
		Data  struct{ ID int64 }
		Error struct{ Code string }
	}
	if err := json.Unmarshal(b, &again); err != nil || again.Error.Code != api.CodeAlreadyQueued || again.Data.ID != run.Data.ID {
		t.Fatalf("second run: %s (%v)", b, err)
	}
	cf.call(t, admin, "POST", fmt.Sprintf("/executions/%d/cancel", run.Data.ID), nil, 202)
	cf.call(t, admin, "GET", fmt.Sprintf("/executions/%d", run.Data.ID), nil, 200)
	b, h := cf.call(t, admin, "GET", fmt.Sprintf("/executions/%d/events", run.Data.ID), nil, 200)
	if !strings.HasPrefix(h.Get("Content-Type"), api.MIMEEventStream) || !strings.Contains(string(b), "event: status\n") ||
		!strings.Contains(string(b), `"status":"cancelled"`) {
		t.Errorf("event stream of a cancelled run: %s\n%s", h.Get("Content-Type"), b)
	}

	b, _ = cf.call(t, admin, "POST", "/encryption-profiles", map[string]string{"name": "offsite"}, 201)
	var profile struct{ Data struct{ ID int64 } }
	json.Unmarshal(b, &profile)
	b, h = cf.call(t, admin, "GET", fmt.Sprintf("/encryption-profiles/%d/recovery-kit", profile.Data.ID), nil, 200)
	if h.Get("Content-Type") != "application/zip" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
		t.Errorf("recovery kit headers: %v", h)
	}
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("recovery kit is not a zip: %v", err)
	}
}
