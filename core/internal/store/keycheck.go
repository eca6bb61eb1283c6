package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/dbkeep/dbkeep/core/internal/seal"
)

// The key check: on first open the store seals a known value and records the
// key's fingerprint; every later open must open that value again. A wrong key
// thus stops the start, instead of surfacing later as secrets that fail to
// open one by one (or, worse, as new secrets sealed under a second key).
const (
	metaKeyCheck = "key_check"
	metaKeyID    = "key_id"
	keyCheckText = "dbkeep state key check v1"
)

var keyCheckAD = seal.AD("store_meta", 0, metaKeyCheck)

func (s *Store) checkKey(ctx context.Context) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sealed []byte
		err := tx.GetContext(ctx, &sealed, "SELECT value FROM store_meta WHERE key = ?", metaKeyCheck)
		if errors.Is(err, sql.ErrNoRows) {
			return s.recordKey(ctx, tx)
		}
		if err != nil {
			return fmt.Errorf("read key check: %w", err)
		}
		pt, err := s.sealer.Open(sealed, keyCheckAD)
		if err == nil && string(pt) == keyCheckText {
			return nil
		}
		var storedID string
		if err := tx.GetContext(ctx, &storedID, "SELECT value FROM store_meta WHERE key = ?", metaKeyID); err != nil {
			storedID = "unknown"
		}
		return fmt.Errorf("%w: %s was created with key %s, the key given is %s; start with the original DBKEEP_ENCRYPTION_KEY or secret.key (secrets sealed under it cannot be read with another)",
			ErrWrongKey, s.path, storedID, s.sealer.KeyID())
	})
}

func (s *Store) recordKey(ctx context.Context, tx *sqlx.Tx) error {
	sealed, err := s.sealer.Seal([]byte(keyCheckText), keyCheckAD)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO store_meta (key, value) VALUES (?, ?), (?, ?)",
		metaKeyCheck, sealed, metaKeyID, []byte(s.sealer.KeyID())); err != nil {
		return fmt.Errorf("record key check: %w", err)
	}
	return nil
}
