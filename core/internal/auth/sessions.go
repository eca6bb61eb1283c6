package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// SessionCookie holds a signed-in browser's session token.
const SessionCookie = "dbkeep_session"

// CSRFHeader carries the session's CSRF token on cookie-authenticated
// requests that change state.
const CSRFHeader = "X-CSRF-Token"

// Credentials are what a person signs in with.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Client is where a sign-in comes from.
type Client struct {
	IP        string
	UserAgent string
}

// Login is a new session: the token goes into the cookie (and nowhere
// else), the CSRF token to the client's script.
type Login struct {
	User      store.User
	Token     string
	CSRFToken string
	ExpiresAt time.Time
	SessionID int64
}

// Login checks credentials and opens a session. Failures are rate limited
// per address and per account (a *RateLimitError says how long to wait,
// and the password is not even checked then). A wrong username and a wrong
// password fail alike, in alike time.
func (s *Service) Login(ctx context.Context, cr Credentials, from Client) (Login, error) {
	v := &spec.ValidationError{}
	if cr.Username == "" {
		v.Add("username", "is required")
	}
	if cr.Password == "" {
		v.Add("password", "is required")
	} else if len(cr.Password) > MaxPasswordLen {
		v.Add("password", "must be at most 1024 bytes")
	}
	if err := v.Err(); err != nil {
		return Login{}, err
	}
	try, err := s.limiter.begin(from.IP, cr.Username)
	if err != nil {
		return Login{}, err
	}
	u, hash, err := s.st.Users().Credentials(ctx, cr.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		try.abandoned()
		return Login{}, err
	}
	match, stale, err := s.hasher.verify(ctx, cr.Password, hash)
	if err != nil {
		try.abandoned()
		return Login{}, err
	}
	if !match {
		try.failed()
		return Login{}, ErrUnauthenticated
	}
	try.succeeded()
	if u.Disabled {
		// Said only to someone who knows the password.
		return Login{}, fmt.Errorf("%w: the account is disabled", ErrUnauthenticated)
	}
	if stale {
		s.rehash(ctx, u.ID, cr.Password)
	}
	if _, err := s.st.Sessions().DeleteExpired(ctx); err != nil {
		s.log.Warn("purging expired sessions failed", "error", err)
	}
	l, err := s.openSession(ctx, u.ID, from)
	if err != nil {
		return Login{}, err
	}
	if err := s.st.Users().RecordLogin(ctx, u.ID); err != nil {
		s.log.Warn("recording sign-in time failed", "user", u.Username, "error", err)
	}
	l.User = u
	return l, nil
}

// rehash replaces a hash made with older parameters; a failure only delays
// the upgrade to the next sign-in.
func (s *Service) rehash(ctx context.Context, userID int64, password string) {
	hash, err := s.hasher.hash(ctx, password)
	if err == nil {
		err = s.st.Users().RehashPassword(ctx, userID, hash)
	}
	if err != nil {
		s.log.Warn("rehashing a password with current parameters failed", "user_id", userID, "error", err)
	}
}

func (s *Service) openSession(ctx context.Context, userID int64, from Client) (Login, error) {
	ttl, err := s.st.Settings().SessionTTL(ctx)
	if err != nil {
		return Login{}, err
	}
	token, err := randomToken(tokenBytes)
	if err != nil {
		return Login{}, err
	}
	csrf := csrfToken(token)
	expires := s.now().Add(ttl).UTC()
	ua := from.UserAgent
	if len(ua) > 256 {
		ua = ua[:256]
	}
	sess, err := s.st.Sessions().Create(ctx, store.NewSession{UserID: userID, TokenHash: tokenHash(token),
		CSRFHash: tokenHash(csrf), ExpiresAt: expires, IP: from.IP, UserAgent: ua})
	if err != nil {
		return Login{}, err
	}
	return Login{Token: token, CSRFToken: csrf, ExpiresAt: sess.ExpiresAt, SessionID: sess.ID}, nil
}

// Logout ends the session whose token the request's cookie holds, if any,
// and clears the cookie. It needs no CSRF token: ending a session is what
// a forged request could least abuse, and a stale cookie must never keep
// anyone from signing out.
func (s *Service) Logout(c fiber.Ctx) (ended bool, err error) {
	defer ClearSessionCookie(c)
	token := c.Cookies(SessionCookie)
	if token == "" {
		return false, nil
	}
	sess, err := s.st.Sessions().ByTokenHash(c.Context(), tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, s.st.Sessions().Delete(c.Context(), sess.ID)
}

// CSRFToken returns the CSRF token of the request's session cookie; empty
// without one.
func CSRFToken(c fiber.Ctx) string {
	if token := c.Cookies(SessionCookie); token != "" {
		return csrfToken(token)
	}
	return ""
}

// SetSessionCookie gives the browser the session: HttpOnly (no script
// reads it), SameSite=Lax (not sent on cross-site POSTs), Secure when the
// request came over TLS, for the whole site.
func SetSessionCookie(c fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: overTLS(c)})
}

// ClearSessionCookie tells the browser to drop the session cookie.
func ClearSessionCookie(c fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: overTLS(c)})
}

// overTLS reports whether the request came over TLS (or, when the app
// trusts a proxy, was forwarded as https). Not c.Secure(): in Fiber v3.1.0
// it compares the protocol version ("HTTP/1.1") with "https" and is never
// true.
func overTLS(c fiber.Ctx) bool { return c.Scheme() == "https" }

// safeMethods do not change state and need no CSRF token.
var safeMethods = map[string]bool{fiber.MethodGet: true, fiber.MethodHead: true, fiber.MethodOptions: true}

func (s *Service) authenticateSession(c fiber.Ctx, token string) (*Principal, error) {
	ctx := c.Context()
	sess, err := s.st.Sessions().ByTokenHash(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: the session has ended", ErrUnauthenticated)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) {
		return nil, fmt.Errorf("%w: the session has expired", ErrUnauthenticated)
	}
	if !safeMethods[c.Method()] && !sameHash(tokenHash(c.Get(CSRFHeader)), sess.CSRFHash) {
		return nil, ErrCSRF
	}
	u, perms, err := s.userAccess(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if now.Sub(sess.LastSeenAt) >= touchInterval {
		s.touchSession(c, sess, token, now)
	}
	return &Principal{UserID: u.ID, Username: u.Username, SessionID: sess.ID, Permissions: perms}, nil
}

// touchSession slides the session's expiry: SessionTTL is how long a
// session lasts without activity. The cookie follows.
func (s *Service) touchSession(c fiber.Ctx, sess store.Session, token string, now time.Time) {
	ttl, err := s.st.Settings().SessionTTL(c.Context())
	if err == nil {
		expires := now.Add(ttl).UTC()
		if err = s.st.Sessions().Touch(c.Context(), sess.ID, expires); err == nil {
			SetSessionCookie(c, token, expires)
		}
	}
	if err != nil {
		s.log.Warn("recording session activity failed", "session_id", sess.ID, "error", err)
	}
}
