package wire

import (
	"context"

	"google.golang.org/grpc"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

type oidcServer struct {
	pb.UnimplementedOidcServiceServer
	s *Server
}

func (os *oidcServer) Endpoints(ctx context.Context, req *pb.EndpointsRequest) (*pb.EndpointsResponse, error) {
	cfg, err := os.s.config(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(err)
	}
	e, err := os.s.OIDC.Endpoints(ctx, cfg)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.EndpointsResponse{
		DisplayName: e.DisplayName, Issuer: e.Issuer, DiscoveryUrl: e.DiscoveryURL,
		ClientId: e.ClientID, ClientSecret: e.ClientSecret, Scopes: e.Scopes,
		Claims: &pb.ClaimMapping{Username: e.Claims.Username, Email: e.Claims.Email, Name: e.Claims.Name, Groups: e.Claims.Groups},
	}, nil
}

// OIDCClient implements oidc.Provider by calling a plugin.
type OIDCClient struct {
	c pb.OidcServiceClient
}

var _ oidc.Provider = (*OIDCClient)(nil)

func NewOIDCClient(cc grpc.ClientConnInterface) *OIDCClient {
	return &OIDCClient{c: pb.NewOidcServiceClient(cc)}
}

func (oc *OIDCClient) Endpoints(ctx context.Context, cfg spec.Config) (oidc.Endpoints, error) {
	r, err := oc.c.Endpoints(ctx, &pb.EndpointsRequest{Config: configToPB(cfg)})
	if err != nil {
		return oidc.Endpoints{}, fromStatus(err)
	}
	c := r.GetClaims()
	return oidc.Endpoints{
		DisplayName: r.GetDisplayName(), Issuer: r.GetIssuer(), DiscoveryURL: r.GetDiscoveryUrl(),
		ClientID: r.GetClientId(), ClientSecret: r.GetClientSecret(), Scopes: r.GetScopes(),
		Claims: oidc.ClaimMapping{Username: c.GetUsername(), Email: c.GetEmail(), Name: c.GetName(), Groups: c.GetGroups()},
	}, nil
}
