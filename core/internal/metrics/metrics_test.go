package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/core/internal/store/storetest"
)

func scrape(t *testing.T, app *fiber.App) string {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest("GET", Path, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", Path, resp.StatusCode, err)
	}
	return string(b)
}

func has(t *testing.T, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, "\n"+l+"\n") {
			t.Errorf("no line %q in:\n%s", l, text)
		}
	}
}

// Requests are counted under their route pattern, never the raw path, with
// the status actually sent, also when a handler returns an error that the
// app's error handler answers.
func TestRequestsByRoutePattern(t *testing.T) {
	m := New(Options{})
	app := fiber.New(fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
		return c.Status(fiber.StatusTeapot).SendString(err.Error())
	}})
	app.Use(m.Middleware())
	app.Get("/jobs/:id", func(c fiber.Ctx) error { return c.SendString(c.Params("id")) })
	app.Post("/fail", func(c fiber.Ctx) error { return errors.New("boom") })
	app.Get(Path, m.Handler())
	for _, r := range []struct{ method, path string }{{"GET", "/jobs/1"}, {"GET", "/jobs/2"}, {"POST", "/fail"}, {"GET", "/nowhere/at/all"}} {
		resp, err := app.Test(httptest.NewRequest(r.method, r.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	text := scrape(t, app)
	has(t, text,
		`dbkeep_http_requests_total{method="GET",route="/jobs/:id",status="200"} 2`,
		`dbkeep_http_requests_total{method="POST",route="/fail",status="418"} 1`,
		`dbkeep_http_request_duration_seconds_count{method="GET",route="/jobs/:id"} 2`,
	)
	if strings.Contains(text, "/jobs/1") || strings.Contains(text, "/nowhere") {
		t.Errorf("a raw path became a label value:\n%s", text)
	}
	if !strings.Contains(text, "dbkeep_build_info{") || !strings.Contains(text, "go_goroutines") {
		t.Errorf("build info or Go runtime metrics missing")
	}
}

type plugins struct {
	loaded pluginhost.LoadReport
	status []pluginhost.Status
}

func (p plugins) Loaded() pluginhost.LoadReport { return p.loaded }
func (p plugins) Status() []pluginhost.Status   { return p.status }

func TestPluginMetrics(t *testing.T) {
	m := New(Options{Plugins: plugins{
		loaded: pluginhost.LoadReport{Refused: make([]pluginhost.Entry, 1)},
		status: []pluginhost.Status{{ID: "database-postgres", Running: true, Crashes: 0}, {ID: "storage-s3", Crashes: 3, Restarts: 2}},
	}})
	app := fiber.New()
	app.Get(Path, m.Handler())
	has(t, scrape(t, app),
		`dbkeep_plugin_up{plugin="database-postgres"} 1`,
		`dbkeep_plugin_up{plugin="storage-s3"} 0`,
		`dbkeep_plugin_crashes_total{plugin="storage-s3"} 3`,
		`dbkeep_plugin_restarts_total{plugin="storage-s3"} 2`,
		`dbkeep_plugin_restarts_total{plugin="database-postgres"} 0`,
		`dbkeep_plugins_refused 1`,
	)
}

// Execution counts come from the real state database on each scrape, with
// a zero series for every known type and status.
func TestExecutionMetrics(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, nil)
	m := New(Options{Executions: st.Executions(), ScrapeTimeout: time.Second})
	if n := testutil.CollectAndCount(m.Registry(), "dbkeep_executions"); n != 21 {
		t.Errorf("%d execution series on an empty state, want 21 (3 types x 7 statuses)", n)
	}
	for range 2 {
		if _, err := st.Executions().Enqueue(ctx, store.NewExecution{Type: store.TypeVerify, Trigger: store.TriggerAPI}); err != nil {
			t.Fatal(err)
		}
	}
	app := fiber.New()
	app.Get(Path, m.Handler())
	has(t, scrape(t, app),
		`dbkeep_executions{status="pending",type="verify"} 2`,
		`dbkeep_executions{status="failed",type="backup"} 0`,
		`dbkeep_executions_scrape_error 0`,
	)
	st.Close()
	has(t, scrape(t, app), `dbkeep_executions_scrape_error 1`)
}
