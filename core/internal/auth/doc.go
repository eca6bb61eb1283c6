// Package auth is who may do what in dbkeep: the permission catalogue, the
// principal a request acts as, password hashing, sessions, API keys and the
// login rate limit. The HTTP layer (package api) asks it to authenticate a
// request and checks the principal's permissions against the permission each
// route declares.
package auth
