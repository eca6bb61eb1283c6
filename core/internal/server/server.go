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
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/static"
	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost"
)

// Options are what the server needs.
type Options struct {
	Version string
	// Plugins reports the plugins loaded at start and their supervision.
	Plugins PluginReporter
	// State is the state database, reported by /healthz; nil reports none.
	State StateReporter
	// UI is served at /; nil serves no UI.
	UI     fs.FS
	Logger hclog.Logger
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
	app := fiber.New(fiber.Config{AppName: "dbkeep " + opts.Version})
	app.Get("/healthz", healthHandler(opts))
	app.Get("/api/v1/plugins", pluginsHandler(opts))
	if opts.UI != nil {
		app.Use("/", static.New("", static.Config{FS: opts.UI}))
	}
	return &Server{app: app, logger: opts.Logger}
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
