package auth

import "slices"

// Principal is who a request acts as: a user signed in with a session, or an
// API key acting for its owner with a subset of the owner's permissions.
type Principal struct {
	UserID   int64
	Username string
	// APIKeyID is set when the request carried an API key; 0 for sessions.
	APIKeyID int64
	// SessionID is set when the request carried a session cookie; cookie
	// requests that change something must also carry the CSRF token.
	SessionID int64
	// Permissions is the effective set, sorted: for a session the union of
	// the user's groups, for a key its scope intersected with the owner's
	// current permissions (a key never outlives a right its owner lost).
	Permissions []Permission
}

// Has reports whether the principal holds p.
func (p *Principal) Has(perm Permission) bool {
	if p == nil {
		return false
	}
	_, found := slices.BinarySearch(p.Permissions, perm)
	return found
}

// Actor is how the audit log names the principal.
func (p *Principal) Actor() string {
	if p == nil {
		return "system"
	}
	if p.APIKeyID != 0 {
		return p.Username + " (API key)"
	}
	return p.Username
}
