package auth

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Limits on what people type.
const (
	MinPasswordLen = 12
	// MaxPasswordLen bounds the bytes hashed per attempt.
	MaxPasswordLen = 1024
	maxNameLen     = 64
	maxTextLen     = 500
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)

func checkUsername(v *spec.ValidationError, field, name string) {
	switch {
	case name == "":
		v.Add(field, "is required")
	case len(name) > maxNameLen:
		v.Add(field, "must be at most 64 characters")
	case !usernamePattern.MatchString(name):
		v.Add(field, "may hold letters, digits and . _ @ - only, and must start with a letter or digit")
	}
}

func checkPassword(v *spec.ValidationError, field, password string) {
	switch n := utf8.RuneCountInString(password); {
	case password == "":
		v.Add(field, "is required")
	case n < MinPasswordLen:
		v.Add(field, "must be at least 12 characters")
	case len(password) > MaxPasswordLen:
		v.Add(field, "must be at most 1024 bytes")
	}
}

// checkName checks a group or API key name: required, trimmed, at most 64
// characters.
func checkName(v *spec.ValidationError, field, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		v.Add(field, "is required")
	case name != strings.TrimSpace(name):
		v.Add(field, "must not start or end with spaces")
	case utf8.RuneCountInString(name) > maxNameLen:
		v.Add(field, "must be at most 64 characters")
	}
}

func checkText(v *spec.ValidationError, field, text string, limit int) {
	if utf8.RuneCountInString(text) > limit {
		v.Add(field, "is too long")
	}
}

func checkEmail(v *spec.ValidationError, field, email string) {
	if email == "" {
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		v.Add(field, "must be a plain e-mail address like ann@example.com")
	}
}

// checkPermissions parses names against the catalogue; unknown names are a
// field error naming them.
func checkPermissions(v *spec.ValidationError, field string, names []string) []Permission {
	perms, err := ParsePermissions(names)
	if err != nil {
		v.Add(field, err.Error())
	}
	return perms
}
