package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/configuration"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Authenticator finds who a request acts as.
type Authenticator interface {
	// Authenticate returns the principal of the request's credentials (a
	// session cookie or an "Authorization: Bearer dbk_..." API key), or
	// nil and no error when the request carries none. Credentials that are
	// present but unknown, expired or revoked are an error wrapping
	// auth.ErrUnauthenticated. For a cookie-authenticated request whose
	// method changes state it also checks the CSRF token, failing with an
	// error wrapping auth.ErrCSRF.
	Authenticate(c fiber.Ctx) (*auth.Principal, error)
}

// Deps are the services the API answers from. Each route group uses only
// the ones it needs; a nil service is a wiring mistake and fails loudly on
// the first request that needs it, never silently.
type Deps struct {
	Auth  Authenticator
	Audit AuditLog
	// Accounts manages users, groups, API keys and sign-in; usually the
	// same service as Auth.
	Accounts *auth.Service
	Logger   hclog.Logger
	// Configuration answers sources, destinations, notification channels,
	// encryption profiles, jobs, settings and the plugin list.
	Configuration *configuration.Service
	// Executions runs jobs, cancels runs and reports them (queue, journal).
	Executions ExecutionService
	// Backups lists the backup sets on destinations.
	Backups BackupService
}

// API is the /api/v1 surface.
type API struct {
	d Deps
}

// New builds the API over its services.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	return &API{d: d}
}

// Mount registers every route on app under Prefix.
func (a *API) Mount(app *fiber.App) {
	for _, r := range a.routes() {
		r.register(app, a.guard(r.access))
	}
}
