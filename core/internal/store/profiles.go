package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// ProfileKeySize is the length of an encryption profile's key.
const ProfileKeySize = 32

// EncryptionProfiles is the repository of encryption profiles: named keys
// that backup sets are encrypted under (DESIGN §3, format DBK1).
type EncryptionProfiles struct{ s *Store }

// EncryptionProfiles returns the encryption profiles repository.
func (s *Store) EncryptionProfiles() *EncryptionProfiles { return &EncryptionProfiles{s: s} }

// EncryptionProfile is a profile without its key; Key reads the key.
type EncryptionProfile struct {
	ID          int64
	Name        string
	Description string
	Algorithm   string
	// KeyID is the key's public fingerprint (seal.Fingerprint), written into
	// manifests to match a set to the key that opens it.
	KeyID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type profileRow struct {
	ID          int64  `db:"id"`
	Name        string `db:"name"`
	Description string `db:"description"`
	Algorithm   string `db:"algorithm"`
	KeyID       string `db:"key_id"`
	CreatedAt   string `db:"created_at"`
	UpdatedAt   string `db:"updated_at"`
}

const profileColumns = "id, name, description, algorithm, key_id, created_at, updated_at"

var profileDependents = []dependent{
	{"job", "SELECT count(*) FROM jobs WHERE encryption_profile_id = ?"},
	{"backup set", "SELECT count(*) FROM backup_sets WHERE encryption_profile_id = ?"},
}

// Create makes a profile with a new random key, sealed; a taken name is
// ErrConflict.
func (p *EncryptionProfiles) Create(ctx context.Context, name, description string) (EncryptionProfile, error) {
	key := make([]byte, ProfileKeySize)
	if _, err := rand.Read(key); err != nil {
		return EncryptionProfile{}, fmt.Errorf("create encryption profile %q: random key: %w", name, err)
	}
	var id int64
	err := p.s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := formatTime(p.s.now())
		// key_sealed is bound to the row id, which exists only after the
		// insert: a placeholder goes in first, inside the same transaction.
		res, err := tx.ExecContext(ctx, `INSERT INTO encryption_profiles
			(name, description, key_sealed, key_id, created_at, updated_at) VALUES (?, ?, x'', ?, ?, ?)`,
			name, description, seal.Fingerprint(key), now, now)
		if err != nil {
			return classify(err, "create encryption profile %q", name)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		sealed, err := p.s.sealer.Seal(key, seal.AD("encryption_profiles", id, "key_sealed"))
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE encryption_profiles SET key_sealed = ? WHERE id = ?", sealed, id)
		return classify(err, "create encryption profile %q", name)
	})
	if err != nil {
		return EncryptionProfile{}, err
	}
	return p.Get(ctx, id)
}

// Get returns profile id.
func (p *EncryptionProfiles) Get(ctx context.Context, id int64) (EncryptionProfile, error) {
	var row profileRow
	err := p.s.r.GetContext(ctx, &row, "SELECT "+profileColumns+" FROM encryption_profiles WHERE id = ?", id)
	if err != nil {
		return EncryptionProfile{}, classify(err, "encryption profile %d", id)
	}
	return row.profile()
}

// List returns one page of profiles ordered by name, and the total.
func (p *EncryptionProfiles) List(ctx context.Context, page Page) ([]EncryptionProfile, int, error) {
	page = page.normalized()
	var total int
	if err := p.s.r.GetContext(ctx, &total, "SELECT count(*) FROM encryption_profiles"); err != nil {
		return nil, 0, fmt.Errorf("list encryption profiles: %w", err)
	}
	var rows []profileRow
	if err := p.s.r.SelectContext(ctx, &rows, "SELECT "+profileColumns+
		" FROM encryption_profiles ORDER BY name, id LIMIT ? OFFSET ?", page.Limit, page.Offset); err != nil {
		return nil, 0, fmt.Errorf("list encryption profiles: %w", err)
	}
	out := make([]EncryptionProfile, 0, len(rows))
	for _, r := range rows {
		ep, err := r.profile()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, ep)
	}
	return out, total, nil
}

// Key returns the profile's key in clear, for encrypting, decrypting and the
// recovery kit. The caller keeps it out of logs and responses.
func (p *EncryptionProfiles) Key(ctx context.Context, id int64) ([]byte, error) {
	var sealed []byte
	if err := p.s.r.GetContext(ctx, &sealed, "SELECT key_sealed FROM encryption_profiles WHERE id = ?", id); err != nil {
		return nil, classify(err, "encryption profile %d key", id)
	}
	key, err := p.s.sealer.Open(sealed, seal.AD("encryption_profiles", id, "key_sealed"))
	if err != nil {
		return nil, fmt.Errorf("encryption profile %d key: %w", id, err)
	}
	return key, nil
}

// Update renames and redescribes a profile; its key never changes (sets
// made under it must stay readable).
func (p *EncryptionProfiles) Update(ctx context.Context, id int64, name, description string) (EncryptionProfile, error) {
	res, err := p.s.w.ExecContext(ctx, "UPDATE encryption_profiles SET name = ?, description = ?, updated_at = ? WHERE id = ?",
		name, description, formatTime(p.s.now()), id)
	if err != nil {
		return EncryptionProfile{}, classify(err, "update encryption profile %d", id)
	}
	if err := requireOne(res, "update encryption profile %d", id); err != nil {
		return EncryptionProfile{}, err
	}
	return p.Get(ctx, id)
}

// Delete removes a profile and its key. A profile a job uses, or that
// backup sets were encrypted under, is ErrInUse: deleting it would make
// those sets unrecoverable.
func (p *EncryptionProfiles) Delete(ctx context.Context, id int64) error {
	return p.s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := countDependents(ctx, tx, "encryption profile", id, profileDependents); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM encryption_profiles WHERE id = ?", id)
		if err != nil {
			return classify(err, "delete encryption profile %d", id)
		}
		return requireOne(res, "delete encryption profile %d", id)
	})
}

func (r profileRow) profile() (EncryptionProfile, error) {
	ep := EncryptionProfile{ID: r.ID, Name: r.Name, Description: r.Description, Algorithm: r.Algorithm, KeyID: r.KeyID}
	var err error
	if ep.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return EncryptionProfile{}, err
	}
	if ep.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return EncryptionProfile{}, err
	}
	return ep, nil
}
