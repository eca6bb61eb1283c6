package api

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/auth"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// authRoutes: first-run setup, sign-in and sign-out, and what concerns the
// signed-in caller only.
func (a *API) authRoutes() []route {
	return a.needAccounts([]route{
		get("/auth/setup", Public(), a.setupStatus).describe("Whether first-run setup is still needed", nil, setupStatus{}),
		post("/auth/setup", Public(), a.setup).describe("Create the first admin (only while no user exists)", auth.NewAccount{}, store.User{}).creates(),
		post("/auth/login", Public(), a.login).describe("Sign in: sets the session cookie, returns the CSRF token", auth.Credentials{}, loginAnswer{}),
		post("/auth/logout", Public(), a.logout).describe("Sign out: ends the session and clears its cookie", noBody{}, nil),
		get("/auth/me", Authenticated(), a.me).describe("The caller: account, effective permissions, how it signed in", nil, meAnswer{}),
		put("/auth/me/password", Authenticated(), a.changeOwnPassword).describe("Change one's own password (ends one's other sessions)", ownPasswordChange{}, nil),
		get("/auth/me/api-keys", Authenticated(), a.listOwnKeys).describe("List one's own API keys", nil, Paged[store.APIKey]{}),
		del("/auth/me/api-keys/:id", Authenticated(), a.revokeOwnKey).describe("Revoke one of one's own API keys", nil, store.APIKey{}),
	})
}

type setupStatus struct {
	SetupRequired bool `json:"setupRequired"`
}

func (a *API) setupStatus(c fiber.Ctx) error {
	needed, err := a.d.Accounts.SetupNeeded(c.Context())
	if err != nil {
		return fail(c, err)
	}
	return ok(c, setupStatus{SetupRequired: needed})
}

func (a *API) setup(c fiber.Ctx) error {
	var in auth.NewAccount
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	u, err := a.d.Accounts.Setup(c.Context(), in)
	if err != nil {
		return fail(c, err)
	}
	// The new admin is who did it.
	fiber.StoreInContext(c, principalKey{}, &auth.Principal{UserID: u.ID, Username: u.Username})
	a.audit(c, "auth.setup", "user", u.ID, map[string]any{"username": u.Username})
	return created(c, u)
}

// loginAnswer is what a browser's script needs after signing in; the
// session token itself travels only in the HttpOnly cookie.
type loginAnswer struct {
	User      store.User `json:"user"`
	CSRFToken string     `json:"csrfToken"`
	ExpiresAt time.Time  `json:"expiresAt"`
}

func (a *API) login(c fiber.Ctx) error {
	var in auth.Credentials
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	l, err := a.d.Accounts.Login(c.Context(), in, auth.Client{IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)})
	if err != nil {
		var limited *auth.RateLimitError
		if errors.As(err, &limited) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(limited.RetryAfter.Seconds()))))
		}
		if errors.Is(err, auth.ErrUnauthenticated) {
			a.audit(c, "auth.login_failed", "", 0, map[string]any{"username": in.Username})
		}
		return fail(c, err)
	}
	auth.SetSessionCookie(c, l.Token, l.ExpiresAt)
	fiber.StoreInContext(c, principalKey{}, &auth.Principal{UserID: l.User.ID, Username: l.User.Username, SessionID: l.SessionID})
	a.audit(c, "auth.login", "user", l.User.ID, nil)
	return ok(c, loginAnswer{User: l.User, CSRFToken: l.CSRFToken, ExpiresAt: l.ExpiresAt})
}

func (a *API) logout(c fiber.Ctx) error {
	ended, err := a.d.Accounts.Logout(c)
	if err != nil {
		return fail(c, err)
	}
	if ended {
		a.audit(c, "auth.logout", "", 0, nil)
	}
	return done(c, "signed out")
}

// meAnswer is the caller: the account, and what this request may do (for
// an API key: its scope within the owner's permissions).
type meAnswer struct {
	auth.UserDetail
	Permissions []auth.Permission `json:"permissions"`
	// AuthMethod is "session" or "api-key".
	AuthMethod string `json:"authMethod"`
	APIKeyID   int64  `json:"apiKeyId,omitempty"`
	// CSRFToken is the session's token for X-CSRF-Token; absent for keys.
	CSRFToken string `json:"csrfToken,omitempty"`
}

func (a *API) me(c fiber.Ctx) error {
	p := principal(c)
	d, err := a.d.Accounts.User(c.Context(), p.UserID)
	if err != nil {
		return fail(c, err)
	}
	m := meAnswer{UserDetail: d, Permissions: p.Permissions, AuthMethod: "session"}
	if p.APIKeyID != 0 {
		m.AuthMethod, m.APIKeyID = "api-key", p.APIKeyID
	} else {
		m.CSRFToken = auth.CSRFToken(c)
	}
	return ok(c, m)
}

type ownPasswordChange struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func (a *API) changeOwnPassword(c fiber.Ctx) error {
	var in ownPasswordChange
	if err := decode(c, &in); err != nil {
		return fail(c, err)
	}
	p := principal(c)
	if err := a.d.Accounts.ChangeOwnPassword(c.Context(), p, in.CurrentPassword, in.NewPassword); err != nil {
		return fail(c, err)
	}
	a.audit(c, "auth.password_change", "user", p.UserID, nil)
	return done(c, "password changed; every other session of yours has ended")
}

func (a *API) listOwnKeys(c fiber.Ctx) error {
	pg, err := page(c)
	if err != nil {
		return fail(c, err)
	}
	keys, total, err := a.d.Accounts.ListKeys(c.Context(), store.APIKeyFilter{UserID: principal(c).UserID}, pg)
	if err != nil {
		return fail(c, err)
	}
	return ok(c, paged(keys, total, pg))
}

func (a *API) revokeOwnKey(c fiber.Ctx) error {
	id, err := idParam(c)
	if err != nil {
		return fail(c, err)
	}
	k, err := a.d.Accounts.RevokeKey(c.Context(), id, principal(c).UserID)
	if err != nil {
		return fail(c, err)
	}
	a.audit(c, "api-keys.revoke", "api-key", id, map[string]any{"name": k.Name, "owner": k.Username})
	return ok(c, k)
}
