package server

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/metrics"
)

// withMetrics is ts's server again, over the same state and accounts, with
// metrics served protected or public.
func (ts *testServer) withMetrics(public bool) *Server {
	return New(Options{Version: "test", State: ts.st,
		API:     api.New(api.Deps{Auth: ts.svc, Accounts: ts.svc, Audit: ts.st.Audit()}),
		Metrics: metrics.New(metrics.Options{Executions: ts.st.Executions()}), MetricsPublic: public})
}

func getMetrics(t *testing.T, s *Server, c *creds) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", metrics.Path, nil)
	if c != nil && c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c != nil && c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	resp, err := s.App().Test(req, patient)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// /metrics is protected by metrics:read unless made public: 401 without
// credentials, 403 for a key without the permission, 200 for a key with it
// (Prometheus' bearer credentials) and for a signed-in admin.
func TestMetricsAccess(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login("admin", adminPassword)
	_, scraper := ts.key(admin, "prometheus", []auth.Permission{auth.MetricsRead}, nil)
	_, other := ts.key(admin, "other", []auth.Permission{auth.JobsRead}, nil)
	s := ts.withMetrics(false)

	if status, body := getMetrics(t, s, nil); status != 401 {
		t.Errorf("without credentials: %d %s", status, body)
	}
	if status, body := getMetrics(t, s, &creds{key: other}); status != 403 || !strings.Contains(body, "metrics:read") {
		t.Errorf("with a key lacking metrics:read: %d %s", status, body)
	}
	if status, _ := getMetrics(t, s, admin); status != 200 {
		t.Errorf("signed-in admin: %d", status)
	}
	status, body := getMetrics(t, s, &creds{key: scraper})
	if status != 200 {
		t.Fatalf("with a metrics:read key: %d %s", status, body)
	}
	for _, want := range []string{
		`dbkeep_http_requests_total{method="GET",route="/metrics",status="401"} 1`,
		`dbkeep_http_requests_total{method="GET",route="/metrics",status="403"} 1`,
		`dbkeep_executions{status="pending",type="backup"} 0`,
		`dbkeep_build_info{`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}

	public := ts.withMetrics(true)
	if status, body := getMetrics(t, public, nil); status != 200 || !strings.Contains(body, "dbkeep_build_info") {
		t.Errorf("public metrics without credentials: %d", status)
	}
}

// /metrics is in the route table with its declared access, either way.
func TestMetricsRouteDeclared(t *testing.T) {
	ts := newTestServer(t)
	for public, want := range map[bool]string{false: api.RouteNamePermPrefix + string(auth.MetricsRead), true: api.RouteNamePublic} {
		s := ts.withMetrics(public)
		for _, problem := range undeclaredRoutes(s.App()) {
			t.Error(problem)
		}
		found := false
		for _, r := range s.App().GetRoutes(true) {
			if r.Path == metrics.Path && r.Method == "GET" {
				found = true
				if r.Name != want {
					t.Errorf("public=%v: /metrics is named %q, want %q", public, r.Name, want)
				}
			}
		}
		if !found {
			t.Errorf("public=%v: no GET /metrics route", public)
		}
	}
}
