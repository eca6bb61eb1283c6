package auth

import "errors"

// Errors the API maps to answers; match with errors.Is.
var (
	// ErrUnauthenticated: credentials are missing, wrong, expired or revoked.
	// Messages never say which, so they cannot be used to probe accounts.
	ErrUnauthenticated = errors.New("not signed in or credentials not valid")
	// ErrCSRF: a cookie-authenticated request that changes state came
	// without the session's CSRF token.
	ErrCSRF = errors.New("missing or wrong CSRF token")
	// ErrRateLimited: too many failed sign-ins from this address or for
	// this account; the error says when to try again.
	ErrRateLimited = errors.New("too many failed sign-ins")
	// ErrSetupDone: first-run setup was asked for after a user exists.
	ErrSetupDone = errors.New("setup is already done")
)

// ErrForbidden: the principal may use the route but not on this target,
// e.g. change the password of an account holding permissions it lacks.
var ErrForbidden = errors.New("not allowed")
