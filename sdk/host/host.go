package host

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/dbkeep/dbkeep/sdk/database"
	"github.com/dbkeep/dbkeep/sdk/internal/wire"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// ClientConfig returns the go-plugin client configuration of the dbkeep
// protocol: gRPC only, the handshake, the message caps, and automatic mTLS.
// Set exactly one of cmd (launch a binary; set SecureConfig too) or reattach
// (connect to a plugin served in-process).
func ClientConfig(cmd *exec.Cmd, reattach *goplugin.ReattachConfig, logger hclog.Logger) *goplugin.ClientConfig {
	cfg := &goplugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(nil),
		Cmd:              cmd,
		Reattach:         reattach,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         reattach == nil,
		GRPCDialOptions:  wire.DialOptions(),
		Logger:           logger,
	}
	if reattach != nil {
		// go-plugin skips version negotiation on reattach and reads Plugins.
		cfg.Plugins = cfg.VersionedPlugins[reattach.ProtocolVersion]
	}
	return cfg
}

// Conn is a connection to one running plugin. Its kind accessors return
// clients that implement the author-facing interfaces by calling the plugin;
// calling a kind the plugin does not serve fails with an error matching
// spec.ErrUnsupported.
type Conn struct {
	info     *wire.PluginClient
	database *wire.DatabaseClient
	storage  *wire.StorageClient
	notifier *wire.NotifierClient
	oidc     *wire.OIDCClient
}

// Dispense returns the Conn of a started go-plugin client.
func Dispense(rpc goplugin.ClientProtocol) (*Conn, error) {
	raw, err := rpc.Dispense(wire.PluginName)
	if err != nil {
		return nil, err
	}
	cc, ok := raw.(*grpc.ClientConn)
	if !ok {
		return nil, fmt.Errorf("plugin dispensed %T, not a gRPC connection", raw)
	}
	return &Conn{
		info:     wire.NewPluginClient(cc),
		database: wire.NewDatabaseClient(cc),
		storage:  wire.NewStorageClient(cc),
		notifier: wire.NewNotifierClient(cc),
		oidc:     wire.NewOIDCClient(cc),
	}, nil
}

// Describe asks the plugin who it is.
func (c *Conn) Describe(ctx context.Context) (spec.Description, error) { return c.info.Describe(ctx) }

// ValidateConfig returns nil, a *spec.ValidationError naming every bad field,
// or the error of the call.
func (c *Conn) ValidateConfig(ctx context.Context, cfg spec.Config) error {
	return c.info.ValidateConfig(ctx, cfg)
}

// DatabaseClient is a database plugin seen from the core. Restore calls
// answer an error matching spec.ErrUnsupported when the plugin cannot
// restore, and CountRows when it cannot count rows (spec.CapRowCount).
type DatabaseClient interface {
	database.Database
	database.Restorer
	database.RowCounter
}

// StorageClient is a storage plugin seen from the core. Usage answers an
// error matching spec.ErrUnsupported when the plugin cannot tell.
type StorageClient interface {
	storage.Storage
	storage.UsageReporter
}

// Database is the plugin as a database adapter.
func (c *Conn) Database() DatabaseClient { return c.database }

// Storage is the plugin as a storage adapter.
func (c *Conn) Storage() StorageClient { return c.storage }

// Notifier is the plugin as a notifier.
func (c *Conn) Notifier() notification.Notifier { return c.notifier }

// OIDC is the plugin as an OIDC provider.
func (c *Conn) OIDC() oidc.Provider { return c.oidc }

// The clients above satisfy the author-facing interfaces.
var (
	_ database.Database     = (*wire.DatabaseClient)(nil)
	_ database.Restorer     = (*wire.DatabaseClient)(nil)
	_ database.RowCounter   = (*wire.DatabaseClient)(nil)
	_ storage.Storage       = (*wire.StorageClient)(nil)
	_ storage.UsageReporter = (*wire.StorageClient)(nil)
)
