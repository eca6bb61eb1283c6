package wire

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dbkeep/dbkeep/sdk/database"
	pb "github.com/dbkeep/dbkeep/sdk/internal/pb/dbkeep/plugin/v1"
	"github.com/dbkeep/dbkeep/sdk/notification"
	"github.com/dbkeep/dbkeep/sdk/oidc"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Server is one plugin's implementation as the wire sees it: its description
// and exactly one kind's implementation.
type Server struct {
	Desc     spec.Description
	Database database.Database
	Storage  storage.Storage
	Notifier notification.Notifier
	OIDC     oidc.Provider
	Logger   hclog.Logger
}

// impl is the author's implementation, whatever its kind.
func (s *Server) impl() any {
	switch s.Desc.Kind {
	case spec.KindDatabase:
		return s.Database
	case spec.KindStorage:
		return s.Storage
	case spec.KindNotification:
		return s.Notifier
	case spec.KindOIDC:
		return s.OIDC
	}
	return nil
}

// register adds the common service and the kind's service to g.
func (s *Server) register(g *grpc.Server) {
	pb.RegisterPluginServiceServer(g, &pluginServer{s: s})
	switch s.Desc.Kind {
	case spec.KindDatabase:
		pb.RegisterDatabaseServiceServer(g, &databaseServer{s: s})
	case spec.KindStorage:
		pb.RegisterStorageServiceServer(g, &storageServer{s: s})
	case spec.KindNotification:
		pb.RegisterNotificationServiceServer(g, &notificationServer{s: s})
	case spec.KindOIDC:
		pb.RegisterOidcServiceServer(g, &oidcServer{s: s})
	}
}

// validate checks cfg against the schema, then the plugin's own validator.
func (s *Server) validate(ctx context.Context, cfg spec.Config) error {
	if err := s.Desc.Schema.Validate(cfg); err != nil {
		return err
	}
	if v, ok := s.impl().(spec.ConfigValidator); ok {
		return v.ValidateConfig(ctx, s.Desc.Schema.WithDefaults(cfg))
	}
	return nil
}

// config converts and validates the configuration of a call, and fills in
// defaults. Every RPC goes through it, so no implementation ever sees a
// configuration its schema rejects.
func (s *Server) config(ctx context.Context, p *pb.Config) (spec.Config, error) {
	cfg := configFromPB(p)
	if err := s.validate(ctx, cfg); err != nil {
		return nil, err
	}
	return s.Desc.Schema.WithDefaults(cfg), nil
}

// privileged converts the credentials overlay of a restore: only fields of
// the schema, each well-formed; nothing is required.
func (s *Server) privileged(p *pb.Config) (spec.Config, error) {
	cfg := configFromPB(p)
	var errs spec.ValidationError
	for name, v := range cfg {
		f, ok := s.Desc.Schema.Field(name)
		if !ok {
			errs.Add("privileged."+name, "is not a field of this plugin")
			continue
		}
		if err := (spec.Schema{Fields: []spec.Field{f}}).Validate(spec.Config{name: v}); err != nil {
			errs.Add("privileged."+name, spec.FieldErrors(err)[0].Message)
		}
	}
	return cfg, errs.Err()
}

type pluginServer struct {
	pb.UnimplementedPluginServiceServer
	s *Server
}

func (p *pluginServer) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return &pb.DescribeResponse{Description: descriptionToPB(p.s.Desc)}, nil
}

func (p *pluginServer) ValidateConfig(ctx context.Context, req *pb.ValidateConfigRequest) (*pb.ValidateConfigResponse, error) {
	err := p.s.validate(ctx, configFromPB(req.GetConfig()))
	if fe := spec.FieldErrors(err); fe != nil {
		return &pb.ValidateConfigResponse{Errors: fieldErrorsToPB(fe)}, nil
	}
	return &pb.ValidateConfigResponse{}, toStatus(err)
}

// Transport tuning for bulk streams between processes on one machine: flow
// control windows large enough that a sender never waits for a window update
// while a few chunks are in flight, and socket buffers that batch many
// HTTP/2 frames per system call. docs/benchmarks.md has the measurements.
const (
	windowSize   = 4 * spec.ChunkSize
	ioBufferSize = 256 << 10
)

// ServerOptions are the gRPC options of a plugin's server: the message caps,
// and recovery so that a panic fails one call instead of killing the process
// and every other call in flight.
func ServerOptions(logger hclog.Logger) []grpc.ServerOption {
	recovered := func(method string, err *error) {
		if r := recover(); r != nil {
			logger.Error("plugin panicked", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			*err = status.Errorf(codes.Internal, "plugin panicked in %s: %v", method, r)
		}
	}
	return []grpc.ServerOption{
		grpc.InitialWindowSize(windowSize),
		grpc.InitialConnWindowSize(windowSize),
		grpc.ReadBufferSize(ioBufferSize),
		grpc.WriteBufferSize(ioBufferSize),
		grpc.MaxRecvMsgSize(spec.MaxMessageSize),
		grpc.MaxSendMsgSize(spec.MaxMessageSize),
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
			defer recovered(info.FullMethod, &err)
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
			defer recovered(info.FullMethod, &err)
			return h(srv, ss)
		}),
	}
}

// DialOptions are the matching options of the client side.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(windowSize),
		grpc.WithInitialConnWindowSize(windowSize),
		grpc.WithReadBufferSize(ioBufferSize),
		grpc.WithWriteBufferSize(ioBufferSize),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(spec.MaxMessageSize), grpc.MaxCallSendMsgSize(spec.MaxMessageSize)),
	}
}
