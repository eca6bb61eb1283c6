package spec

import "fmt"

// Kind is what a plugin adapts. The binary of plugin "local" of kind storage is
// named dbkeep-storage-local.
type Kind string

const (
	KindDatabase     Kind = "database"
	KindStorage      Kind = "storage"
	KindNotification Kind = "notification"
	KindOIDC         Kind = "oidc"
)

// Kinds lists every kind, in the order listings show them.
var Kinds = []Kind{KindDatabase, KindStorage, KindNotification, KindOIDC}

// ParseKind returns the kind named s, or an error naming the valid kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown plugin kind %q (want database, storage, notification or oidc)", s)
}
