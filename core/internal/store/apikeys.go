package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// APIKeys is the repository of API keys. Only the visible prefix and the
// SHA-256 of the whole token are stored.
type APIKeys struct{ s *Store }

// APIKeys returns the API key repository.
func (s *Store) APIKeys() *APIKeys { return &APIKeys{s: s} }

// APIKey is a key without its hash; KeyHash reads the hash.
type APIKey struct {
	ID       int64  `json:"id"`
	UserID   int64  `json:"userId"`
	Username string `json:"username"`
	Name     string `json:"name"`
	// Prefix is the token's visible start ("dbk_..."), to recognise a key.
	Prefix      string     `json:"prefix"`
	Permissions []string   `json:"permissions"`
	CreatedAt   time.Time  `json:"createdAt"`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty"`
	LastUsedAt  *time.Time `json:"lastUsedAt,omitempty"`
	RevokedAt   *time.Time `json:"revokedAt,omitempty"`
}

// NewAPIKey is what Create needs.
type NewAPIKey struct {
	UserID      int64
	Name        string
	Prefix      string
	KeyHash     []byte
	Permissions []string
	ExpiresAt   *time.Time
}

// APIKeyFilter narrows a listing; zero fields match every key.
type APIKeyFilter struct {
	UserID int64
}

type apiKeyRow struct {
	ID         int64          `db:"id"`
	UserID     int64          `db:"user_id"`
	Username   string         `db:"username"`
	Name       string         `db:"name"`
	Prefix     string         `db:"prefix"`
	CreatedAt  string         `db:"created_at"`
	ExpiresAt  sql.NullString `db:"expires_at"`
	LastUsedAt sql.NullString `db:"last_used_at"`
	RevokedAt  sql.NullString `db:"revoked_at"`
}

const (
	apiKeyColumns = "k.id, k.user_id, u.username, k.name, k.prefix, k.created_at, k.expires_at, k.last_used_at, k.revoked_at"
	apiKeyFrom    = " FROM api_keys k JOIN users u ON u.id = k.user_id"
	apiKeySelect  = "SELECT " + apiKeyColumns + apiKeyFrom
)

// Create stores a key with its scope. A name the user already gave a key,
// or a prefix taken, is ErrConflict.
func (k *APIKeys) Create(ctx context.Context, nk NewAPIKey) (APIKey, error) {
	var id int64
	err := k.s.inTx(ctx, func(tx *sqlx.Tx) error {
		var expires any
		if nk.ExpiresAt != nil {
			expires = formatTime(*nk.ExpiresAt)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (user_id, name, prefix, key_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, nk.UserID, nk.Name, nk.Prefix, nk.KeyHash, formatTime(k.s.now()), expires)
		if err != nil {
			return classify(err, "create API key %q", nk.Name)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, p := range uniqueStrings(nk.Permissions) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO api_key_permissions (api_key_id, permission) VALUES (?, ?)", id, p); err != nil {
				return classify(err, "create API key %q: permission %q", nk.Name, p)
			}
		}
		return nil
	})
	if err != nil {
		return APIKey{}, err
	}
	return k.Get(ctx, id)
}

// Get returns key id.
func (k *APIKeys) Get(ctx context.Context, id int64) (APIKey, error) {
	var row apiKeyRow
	if err := k.s.r.GetContext(ctx, &row, apiKeySelect+" WHERE k.id = ?", id); err != nil {
		return APIKey{}, classify(err, "API key %d", id)
	}
	keys, err := k.withPermissions(ctx, []apiKeyRow{row})
	if err != nil {
		return APIKey{}, err
	}
	return keys[0], nil
}

// ByPrefix returns the key with the given prefix and its hash, revoked or
// expired or not: the caller decides.
func (k *APIKeys) ByPrefix(ctx context.Context, prefix string) (APIKey, []byte, error) {
	var row struct {
		apiKeyRow
		KeyHash []byte `db:"key_hash"`
	}
	q := "SELECT " + apiKeyColumns + ", k.key_hash" + apiKeyFrom + " WHERE k.prefix = ?"
	if err := k.s.r.GetContext(ctx, &row, q, prefix); err != nil {
		return APIKey{}, nil, classify(err, "API key %q", prefix)
	}
	keys, err := k.withPermissions(ctx, []apiKeyRow{row.apiKeyRow})
	if err != nil {
		return APIKey{}, nil, err
	}
	return keys[0], row.KeyHash, nil
}

// List returns one page of keys matching f, newest first, and the total.
func (k *APIKeys) List(ctx context.Context, f APIKeyFilter, page Page) ([]APIKey, int, error) {
	page = page.normalized()
	cond, args := "", []any{}
	if f.UserID != 0 {
		cond, args = " WHERE k.user_id = ?", append(args, f.UserID)
	}
	var total int
	if err := k.s.r.GetContext(ctx, &total, "SELECT count(*) FROM api_keys k"+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("list API keys: %w", err)
	}
	var rows []apiKeyRow
	if err := k.s.r.SelectContext(ctx, &rows, apiKeySelect+cond+" ORDER BY k.id DESC LIMIT ? OFFSET ?",
		append(args, page.Limit, page.Offset)...); err != nil {
		return nil, 0, fmt.Errorf("list API keys: %w", err)
	}
	out, err := k.withPermissions(ctx, rows)
	return out, total, err
}

// Revoke marks key id revoked (it stays listed, for the record). Revoking a
// revoked key keeps the first time.
func (k *APIKeys) Revoke(ctx context.Context, id int64) (APIKey, error) {
	res, err := k.s.w.ExecContext(ctx, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
		formatTime(k.s.now()), id)
	if err != nil {
		return APIKey{}, classify(err, "revoke API key %d", id)
	}
	if err := requireOne(res, "revoke API key %d", id); err != nil {
		return APIKey{}, err
	}
	return k.Get(ctx, id)
}

// TouchUsed records that key id was just used.
func (k *APIKeys) TouchUsed(ctx context.Context, id int64) error {
	_, err := k.s.w.ExecContext(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", formatTime(k.s.now()), id)
	return classify(err, "record use of API key %d", id)
}

func (k *APIKeys) withPermissions(ctx context.Context, rows []apiKeyRow) ([]APIKey, error) {
	out := make([]APIKey, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	q, args, err := sqlx.In("SELECT api_key_id, permission FROM api_key_permissions WHERE api_key_id IN (?) ORDER BY permission", ids)
	if err != nil {
		return nil, err
	}
	var perms []struct {
		KeyID      int64  `db:"api_key_id"`
		Permission string `db:"permission"`
	}
	if err := k.s.r.SelectContext(ctx, &perms, q, args...); err != nil {
		return nil, fmt.Errorf("API key permissions: %w", err)
	}
	byKey := map[int64][]string{}
	for _, p := range perms {
		byKey[p.KeyID] = append(byKey[p.KeyID], p.Permission)
	}
	for _, r := range rows {
		key := APIKey{ID: r.ID, UserID: r.UserID, Username: r.Username, Name: r.Name, Prefix: r.Prefix, Permissions: byKey[r.ID]}
		if key.Permissions == nil {
			key.Permissions = []string{}
		}
		if key.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
			return nil, err
		}
		if key.ExpiresAt, err = parseNullTime(r.ExpiresAt); err != nil {
			return nil, err
		}
		if key.LastUsedAt, err = parseNullTime(r.LastUsedAt); err != nil {
			return nil, err
		}
		if key.RevokedAt, err = parseNullTime(r.RevokedAt); err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}
