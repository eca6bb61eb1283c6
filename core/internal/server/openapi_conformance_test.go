package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
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
	resp, err := ts.srv.App().Test(httptest.NewRequest("GET", api.Prefix+api.OpenAPIPath, nil))
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

// call makes the request and checks both sides against the document.
func (cf *conformance) call(t *testing.T, c *creds, method, pathAndQuery string, body any, want int) []byte {
	t.Helper()
	status, b := cf.ts.call(c, method, pathAndQuery, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, pathAndQuery, status, want, b)
	}
	path, _, _ := strings.Cut(pathAndQuery, "?")
	route, params := cf.find(method, path)
	if route == nil {
		t.Fatalf("%s %s: no operation in the document", method, path)
	}
	var reqBody []byte
	if body != nil {
		reqBody, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, api.Prefix+pathAndQuery, bytes.NewReader(reqBody))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		t.Errorf("%s %s: the request does not match the document: %v", method, pathAndQuery, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status,
		Header: http.Header{"Content-Type": {"application/json"}}, Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s: the %d answer does not match the document: %v\n%s", method, pathAndQuery, status, err, b)
	}
	return b
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
	json.Unmarshal(cf.call(t, admin, "POST", "/users", map[string]string{"username": "eve", "password": "eve's long password"}, 201), &u)
	user := fmt.Sprintf("/users/%d", u.Data.ID)
	cf.call(t, admin, "POST", "/users", map[string]any{"username": "", "password": "x"}, 400)
	cf.call(t, admin, "GET", "/users?limit=10&offset=0", nil, 200)
	cf.call(t, admin, "GET", user, nil, 200)
	cf.call(t, admin, "GET", "/users/999", nil, 404)
	cf.call(t, admin, "PATCH", user, map[string]any{"displayName": "Eve", "email": nil}, 200)
	cf.call(t, admin, "PUT", user+"/password", map[string]string{"password": "another long password"}, 200)

	var g struct{ Data store.Group }
	json.Unmarshal(cf.call(t, admin, "POST", "/groups", map[string]any{"name": "readers", "permissions": []auth.Permission{auth.JobsRead}}, 201), &g)
	group := fmt.Sprintf("/groups/%d", g.Data.ID)
	cf.call(t, admin, "GET", "/groups", nil, 200)
	cf.call(t, admin, "GET", group, nil, 200)
	cf.call(t, admin, "PATCH", group, map[string]any{"permissions": []auth.Permission{auth.JobsRead, auth.UsersRead}}, 200)
	cf.call(t, admin, "PUT", fmt.Sprintf("%s/members/%d", group, u.Data.ID), nil, 200)
	cf.call(t, admin, "GET", group+"/members", nil, 200)
	cf.call(t, admin, "DELETE", fmt.Sprintf("%s/members/%d", group, u.Data.ID), nil, 200)

	var k struct{ Data struct{ ID int64 } }
	json.Unmarshal(cf.call(t, admin, "POST", "/api-keys", map[string]any{"name": "ci", "permissions": []auth.Permission{auth.UsersRead}}, 201), &k)
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
