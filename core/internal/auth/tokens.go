package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
)

// tokenBytes is the entropy of session tokens and API key secrets.
const tokenBytes = 32

// randomToken returns n random bytes as unpadded base64url text.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// lowerBase32 spells API key prefixes: letters and digits only, so the
// prefix reads as one word and cannot be confused with the secret's '-'/'_'.
var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randomPrefix() (string, error) {
	b := make([]byte, 5) // 8 characters
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random prefix: %w", err)
	}
	return lowerBase32.EncodeToString(b), nil
}

// tokenHash is what the database keeps of a token. SHA-256 without a salt
// is enough here: tokens have 256 bits of entropy, nothing to guess.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// sameHash compares two hashes in constant time.
func sameHash(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// csrfToken derives a session's CSRF token from its cookie token, so the
// server can hand it out again (GET /auth/me) without storing it in clear,
// and nobody without the HttpOnly cookie can compute it.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("dbkeep csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
