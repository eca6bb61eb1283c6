package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost parameters.
type PasswordParams struct {
	// Memory in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism; it is part of the hash, so
	// changing it changes the result.
	Threads uint8
}

// DefaultPasswordParams are the first of OWASP's argon2id configurations
// (Password Storage Cheat Sheet): 46 MiB, 1 pass, 1 lane. Measured here
// (2 shared cores, load ~12) at 130 ms per hash, against 680 ms for RFC
// 9106's 64 MiB/3 passes/4 lanes, which on a small self-hosted box made
// every sign-in slow without adding much: the memory is what hurts a
// guesser. Hashes carry their parameters, so raising these later leaves
// old hashes verifiable, and they are rehashed at the next sign-in.
var DefaultPasswordParams = PasswordParams{Memory: 46 * 1024, Time: 1, Threads: 1}

const (
	saltLen = 16
	hashLen = 32
	// Bounds on parameters read back from a stored hash, so a damaged row
	// cannot make a sign-in allocate gigabytes.
	maxMemoryKiB = 1024 * 1024
	maxTime      = 32
)

var errBadHash = errors.New("stored password hash is not an argon2id PHC string")

// hashPassword returns the PHC string of password:
// $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>, base64 without padding.
func hashPassword(password string, p PasswordParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	return formatPHC(p, salt, argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, hashLen)), nil
}

// formatPHC writes an argon2id hash as a PHC string.
func formatPHC(p PasswordParams, salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verifyPassword reports whether password matches the PHC string phc, in
// time that does not depend on where the two differ, and whether the hash
// was made with other parameters than want (and should be remade).
func verifyPassword(password, phc string, want PasswordParams) (match, stale bool, err error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p != want, nil
}

func parsePHC(phc string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: version %q", errBadHash, parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("%w: parameters %q", errBadHash, parts[3])
	}
	if p.Memory < 8 || p.Memory > maxMemoryKiB || p.Time < 1 || p.Time > maxTime || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("%w: parameters %q out of range", errBadHash, parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("%w: salt", errBadHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, fmt.Errorf("%w: hash", errBadHash)
	}
	return p, salt, key, nil
}

// hasher runs argon2id with a bound on how many hashes run at once: each
// takes Memory KiB, and a burst of sign-ins must not exhaust the host.
type hasher struct {
	params PasswordParams
	slots  chan struct{}
	// dummy is verified against when the account does not exist, so that
	// an unknown username costs one argon2id run with params, as a wrong
	// password does, and response times do not reveal which names exist.
	dummy string
}

func newHasher(p PasswordParams, concurrent int) (*hasher, error) {
	dummy, err := dummyHash(p)
	if err != nil {
		return nil, err
	}
	return &hasher{params: p, slots: make(chan struct{}, max(1, concurrent)), dummy: dummy}, nil
}

// dummyHash returns a PHC string with params p, a random salt and a random
// key: verifying against it runs argon2id exactly as verifying against a
// real hash does, and matches no password (the chance is 2^-256). It runs
// no argon2id itself, so the core does not allocate Memory KiB at start
// when nobody signs in, and the first unknown username costs no more than
// the next (hashing a dummy password lazily would cost that one twice).
func dummyHash(p PasswordParams) (string, error) {
	b := make([]byte, saltLen+hashLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dummy password hash: %w", err)
	}
	return formatPHC(p, b[:saltLen], b[saltLen:]), nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.slots }

func (h *hasher) hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return hashPassword(password, h.params)
}

// verify checks password against phc; an empty phc (no such account, or no
// local password) is checked against the dummy and never matches.
func (h *hasher) verify(ctx context.Context, password, phc string) (match, stale bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if phc == "" {
		verifyPassword(password, h.dummy, h.params)
		return false, false, nil
	}
	return verifyPassword(password, phc, h.params)
}
