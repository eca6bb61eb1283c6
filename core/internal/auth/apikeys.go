package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dbkeep/dbkeep/core/internal/store"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// API key tokens read "dbk_" + 8 base32 characters (the prefix, stored and
// shown) + 43 base64url characters (32 random bytes, the secret). Only the
// SHA-256 of the whole token is stored.
const (
	KeyTokenPrefix = "dbk_"
	keyPrefixLen   = len(KeyTokenPrefix) + 8
	keyTokenLen    = keyPrefixLen + 43
)

// NewKey is an API key to create.
type NewKey struct {
	Name        string     `json:"name"`
	Permissions []string   `json:"permissions"`
	ExpiresAt   *time.Time `json:"expiresAt"`
}

// CreatedKey is a new key with its token, shown this once.
type CreatedKey struct {
	store.APIKey
	Token string `json:"token"`
}

// CreateKey makes an API key owned by the principal, scoped to
// permissions the principal holds itself: asking for more is a validation
// error naming each one. The token is returned here and never again.
func (s *Service) CreateKey(ctx context.Context, by *Principal, nk NewKey) (CreatedKey, error) {
	if by == nil {
		return CreatedKey{}, ErrUnauthenticated
	}
	v := &spec.ValidationError{}
	checkName(v, "name", nk.Name)
	perms := checkPermissions(v, "permissions", nk.Permissions)
	if len(nk.Permissions) == 0 {
		v.Add("permissions", "name at least one permission")
	} else if extra := missing(perms, by.Permissions); len(extra) > 0 {
		v.Add("permissions", "a key cannot hold what its creator does not: "+quoteAll(extra))
	}
	if nk.ExpiresAt != nil && !nk.ExpiresAt.After(s.now()) {
		v.Add("expiresAt", "must be in the future")
	}
	if err := v.Err(); err != nil {
		return CreatedKey{}, err
	}
	var expires *time.Time
	if nk.ExpiresAt != nil {
		t := nk.ExpiresAt.UTC()
		expires = &t
	}
	// A prefix collision (40 random bits) is astronomically rare; retry
	// rather than fail if it happens.
	for attempt := 0; ; attempt++ {
		prefix, err := randomPrefix()
		if err != nil {
			return CreatedKey{}, err
		}
		secret, err := randomToken(tokenBytes)
		if err != nil {
			return CreatedKey{}, err
		}
		token := KeyTokenPrefix + prefix + secret
		k, err := s.st.APIKeys().Create(ctx, store.NewAPIKey{UserID: by.UserID, Name: nk.Name,
			Prefix: token[:keyPrefixLen], KeyHash: tokenHash(token), Permissions: permStrings(perms), ExpiresAt: expires})
		if errors.Is(err, store.ErrConflict) {
			if _, _, perr := s.st.APIKeys().ByPrefix(ctx, token[:keyPrefixLen]); perr == nil && attempt < 3 {
				continue
			}
			return CreatedKey{}, &spec.ValidationError{Fields: []spec.FieldError{{Field: "name", Message: "you already have a key with this name"}}}
		}
		if err != nil {
			return CreatedKey{}, err
		}
		return CreatedKey{APIKey: k, Token: token}, nil
	}
}

// RevokeKey revokes key id. With owner != 0 only that user's key is found
// (revoking one's own keys needs no permission).
func (s *Service) RevokeKey(ctx context.Context, id, owner int64) (store.APIKey, error) {
	if owner != 0 {
		k, err := s.st.APIKeys().Get(ctx, id)
		if err != nil {
			return store.APIKey{}, err
		}
		if k.UserID != owner {
			return store.APIKey{}, fmt.Errorf("API key %d of yours: %w", id, store.ErrNotFound)
		}
	}
	return s.st.APIKeys().Revoke(ctx, id)
}

// ListKeys lists API keys, all or one user's (f.UserID).
func (s *Service) ListKeys(ctx context.Context, f store.APIKeyFilter, p store.Page) ([]store.APIKey, int, error) {
	return s.st.APIKeys().List(ctx, f, p)
}

func (s *Service) authenticateKey(ctx context.Context, token string) (*Principal, error) {
	if len(token) != keyTokenLen || token[:len(KeyTokenPrefix)] != KeyTokenPrefix {
		return nil, fmt.Errorf("%w: not a dbkeep API key", ErrUnauthenticated)
	}
	k, hash, err := s.st.APIKeys().ByPrefix(ctx, token[:keyPrefixLen])
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if !sameHash(tokenHash(token), hash) {
		return nil, ErrUnauthenticated
	}
	now := s.now()
	switch {
	case k.RevokedAt != nil:
		return nil, fmt.Errorf("%w: the API key was revoked", ErrUnauthenticated)
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return nil, fmt.Errorf("%w: the API key has expired", ErrUnauthenticated)
	}
	u, owner, err := s.userAccess(ctx, k.UserID)
	if err != nil {
		return nil, err
	}
	scope := make([]Permission, 0, len(k.Permissions))
	for _, p := range k.Permissions {
		scope = append(scope, Permission(p))
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= touchInterval {
		if err := s.st.APIKeys().TouchUsed(ctx, k.ID); err != nil {
			s.log.Warn("recording API key use failed", "api_key_id", k.ID, "error", err)
		}
	}
	return &Principal{UserID: u.ID, Username: u.Username, APIKeyID: k.ID, Permissions: intersect(scope, owner)}, nil
}

// Key returns API key id (never its token or hash).
func (s *Service) Key(ctx context.Context, id int64) (store.APIKey, error) {
	return s.st.APIKeys().Get(ctx, id)
}
