package pluginhost

import (
	"fmt"

	"github.com/dbkeep/dbkeep/core/internal/pluginhost/pluginconf"
	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Storage returns plugin id ("storage-local") as a storage client. Nothing
// starts yet: each call reaches the plugin's live process, starting it on
// first use and after a crash, so a client may be kept for as long as the
// Host lives.
func (h *Host) Storage(id string) (host.StorageClient, error) {
	if err := checkKind(id, spec.KindStorage); err != nil {
		return nil, err
	}
	return storageClient{h: h, id: id}, nil
}

// Database returns plugin id ("database-postgres") as a database client; see
// Storage for when it starts.
func (h *Host) Database(id string) (host.DatabaseClient, error) {
	if err := checkKind(id, spec.KindDatabase); err != nil {
		return nil, err
	}
	return databaseClient{h: h, id: id}, nil
}

// Notifier returns plugin id ("notification-webhook") as a notifier; see
// Storage for when it starts.
func (h *Host) Notifier(id string) (notification.Notifier, error) {
	if err := checkKind(id, spec.KindNotification); err != nil {
		return nil, err
	}
	return notifierClient{h: h, id: id}, nil
}

// OIDC returns plugin id ("oidc-generic") as an OIDC provider; see Storage
// for when it starts.
func (h *Host) OIDC(id string) (oidc.Provider, error) {
	if err := checkKind(id, spec.KindOIDC); err != nil {
		return nil, err
	}
	return oidcClient{h: h, id: id}, nil
}

func checkKind(id string, want spec.Kind) error {
	kind, _, err := pluginconf.ParseID(id)
	if err != nil {
		return err
	}
	if kind != want {
		return fmt.Errorf("plugin %s%s is a %s plugin, not a %s plugin", BinaryPrefix, id, kind, want)
	}
	return nil
}
