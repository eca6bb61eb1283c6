package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/dbkeep/dbkeep/core/internal/seal"
	"github.com/dbkeep/dbkeep/core/internal/store"
)

// openState loads the sealing key (DBKEEP_ENCRYPTION_KEY, else the key file
// in dataDir) and opens the state database there, migrating it. Only key
// fingerprints are logged, never keys.
func openState(ctx context.Context, dataDir string, logger hclog.Logger) (*store.Store, error) {
	key, src, keyPath, err := seal.LoadKey(os.Getenv(seal.EnvKey), dataDir)
	if err != nil {
		return nil, fmt.Errorf("encryption key: %w", err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	switch src {
	case seal.FromEnv:
		logger.Info("encryption key from "+seal.EnvKey, "key_id", sealer.KeyID())
	case seal.FromFile:
		logger.Info("encryption key from key file", "path", keyPath, "key_id", sealer.KeyID())
	case seal.Generated:
		logger.Warn("generated a new encryption key file: back it up now, or set "+seal.EnvKey+
			"; without this key every stored password and encryption profile key is lost",
			"path", keyPath, "key_id", sealer.KeyID())
	}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dataDir, store.FileName), Sealer: sealer})
	if err != nil {
		return nil, err
	}
	logger.Info("state database opened", "path", st.Path(), "schema_version", st.SchemaVersion())
	return st, nil
}
