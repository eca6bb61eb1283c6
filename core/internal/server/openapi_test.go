package server

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/api"
)

// The served document is public and matches Fiber's route table, route for
// route: every API route (but HEAD) is an operation declaring the same
// access as the route's name, and no operation lacks a route.
func TestOpenAPIMatchesRouteTable(t *testing.T) {
	ts := newTestServer(t)
	resp, err := ts.srv.App().Test(httptest.NewRequest("GET", api.Prefix+api.OpenAPIPath, nil), patient)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s without credentials: %d %s", api.OpenAPIPath, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z0-9]+)`)
	seen := map[string]bool{}
	for _, r := range ts.srv.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, api.Prefix+"/") || r.Method == "HEAD" {
			continue
		}
		path := param.ReplaceAllString(strings.TrimPrefix(r.Path, api.Prefix), "{$1}")
		method := strings.ToLower(r.Method)
		op, found := doc.Paths[path][method]
		if !found {
			t.Errorf("%s %s is served but not in the document", r.Method, r.Path)
			continue
		}
		seen[method+" "+path] = true
		access, _ := op[api.ExtAccess].(string)
		perm, _ := op[api.ExtPermission].(string)
		var name string
		switch access {
		case "public":
			name = api.RouteNamePublic
		case "authenticated":
			name = api.RouteNameAuthenticated
		case "permission":
			name = api.RouteNamePermPrefix + perm
		}
		if name != r.Name {
			t.Errorf("%s %s: document says %s %q, route table %q", r.Method, r.Path, access, perm, r.Name)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !seen[method+" "+path] {
				t.Errorf("the document has %s %s, which is not served", method, path)
			}
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d operations matched", len(seen))
	}
}
