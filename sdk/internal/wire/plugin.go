package wire

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Handshake is shared by the core and every plugin. The magic cookie only
// stops a user from running a plugin binary by hand by mistake; it is not a
// security measure. The protocol major lives in VersionedPlugins.
var Handshake = goplugin.HandshakeConfig{
	MagicCookieKey:   "DBKEEP_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "6c0f2a4e9d3b4f0c8e1a7b5d2c9f3e6a",
}

// PluginName is the key under which the one plugin of a binary is dispensed.
const PluginName = "dbkeep"

// grpcPlugin bridges go-plugin and the services of this package.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	server *Server // nil on the client side
}

var _ goplugin.GRPCPlugin = (*grpcPlugin)(nil)

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	p.server.register(s)
	return nil
}

// GRPCClient hands out the connection itself; package host wraps it.
func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return cc, nil
}

// PluginSets is the VersionedPlugins value of both sides; srv is nil on the
// client side.
func PluginSets(srv *Server) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		spec.ProtocolMajor: {PluginName: &grpcPlugin{server: srv}},
	}
}

// PluginClient calls the PluginService every plugin serves.
type PluginClient struct {
	c pb.PluginServiceClient
}

func NewPluginClient(cc grpc.ClientConnInterface) *PluginClient {
	return &PluginClient{c: pb.NewPluginServiceClient(cc)}
}

func (pc *PluginClient) Describe(ctx context.Context) (spec.Description, error) {
	resp, err := pc.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return spec.Description{}, fromStatus(err)
	}
	return descriptionFromPB(resp.GetDescription()), nil
}

// ValidateConfig returns nil, a *spec.ValidationError, or the error of the call.
func (pc *PluginClient) ValidateConfig(ctx context.Context, cfg spec.Config) error {
	resp, err := pc.c.ValidateConfig(ctx, &pb.ValidateConfigRequest{Config: configToPB(cfg)})
	if err != nil {
		return fromStatus(err)
	}
	if len(resp.GetErrors()) > 0 {
		return &spec.ValidationError{Fields: fieldErrorsFromPB(resp.GetErrors())}
	}
	return nil
}
