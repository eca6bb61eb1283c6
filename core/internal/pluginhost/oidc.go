package pluginhost

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// oidcClient reaches an OIDC plugin through the Host's supervision.
type oidcClient struct {
	h  *Host
	id string
}

var _ oidc.Provider = oidcClient{}

func (c oidcClient) Endpoints(ctx context.Context, cfg spec.Config) (oidc.Endpoints, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (oidc.Endpoints, error) {
		return i.conn.OIDC().Endpoints(ctx, cfg)
	})
}
