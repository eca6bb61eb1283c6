// Package server is the core's HTTP server: the JSON API under /api/v1, the
// health endpoint and the embedded web UI, on Fiber. Handlers stay thin; what
// they report comes from the services they are given.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/static"
	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/api"
	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/metrics"
	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

// Options are what the server needs.
type Options struct {
	Version string
	// Plugins reports the plugins loaded at start and their supervision.
	Plugins PluginReporter
	// State is the state database, reported by /healthz; nil reports none.
	State StateReporter
	// API is mounted under /api/v1; nil serves no API.
	API *api.API
	// UI is served at /; nil serves no UI.
	UI fs.FS
	// Metrics, when set, counts every request and is served at /metrics:
	// to holders of metrics:read (a session, or an API key as Prometheus'
	// bearer credentials) through the API's guard, or to anyone when
	// MetricsPublic is set. Without an API only public metrics are served.
	Metrics       *metrics.Metrics
	MetricsPublic bool
	Logger        hclog.Logger
}

// StateReporter is the view of the state database the server's health
// report needs.
type StateReporter interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// SchemaVersion is the schema version the database is at.
	SchemaVersion() uint
}

// PluginReporter is the view of the plugin host the server needs.
type PluginReporter interface {
	// Loaded returns the result of loading plugins at start.
	Loaded() pluginhost.LoadReport
	// Status is the live supervision state.
	Status() []pluginhost.Status
}

// Server is the core's HTTP server.
type Server struct {
	app    *fiber.App
	logger hclog.Logger
}

// New builds the server and its routes.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	app := fiber.New(fiber.Config{AppName: "dbkeep " + opts.Version, ErrorHandler: errorHandler})
	if opts.Metrics != nil {
		app.Use(opts.Metrics.Middleware())
	}
	// Routes outside the API are named public here; TestRouteTable checks
	// that every route carries a name saying what it needs.
	app.Get("/healthz", healthHandler(opts)).Name(api.RouteNamePublic)
	mountMetrics(app, opts)
	if opts.API != nil {
		opts.API.Mount(app)
	}
	// An unknown API path is a 404 in the envelope, never the UI's page.
	app.Use(api.Prefix, func(c fiber.Ctx) error { return fiber.ErrNotFound })
	if opts.UI != nil {
		app.Use("/", static.New("", static.Config{FS: opts.UI}))
	}
	return &Server{app: app, logger: opts.Logger}
}

func mountMetrics(app *fiber.App, opts Options) {
	switch {
	case opts.Metrics == nil:
	case opts.API != nil && opts.MetricsPublic:
		opts.API.MountOutside(app, fiber.MethodGet, metrics.Path, api.Public(), opts.Metrics.Handler())
	case opts.API != nil:
		opts.API.MountOutside(app, fiber.MethodGet, metrics.Path, api.Requires(auth.MetricsRead), opts.Metrics.Handler())
	case opts.MetricsPublic:
		app.Get(metrics.Path, opts.Metrics.Handler()).Name(api.RouteNamePublic)
	}
}

// errorHandler answers errors no handler answered: in the API's envelope
// under /api, as Fiber's plain text elsewhere.
func errorHandler(c fiber.Ctx, err error) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return api.ErrorHandler(c, err)
	}
	return fiber.DefaultErrorHandler(c, err)
}

// Serve answers on ln until ctx ends, then shuts down gracefully: requests in
// flight get up to shutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, shutdownTimeout time.Duration) error {
	errc := make(chan error, 1)
	go func() {
		errc <- s.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
	}()
	s.logger.Info("listening", "address", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := s.app.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// App exposes the Fiber app, for tests that drive it without a socket.
func (s *Server) App() *fiber.App { return s.app }
