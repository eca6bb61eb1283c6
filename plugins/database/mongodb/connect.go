package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/auth"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// connect opens a client for cfg and checks, with a ping within the connect
// timeout, that the server answers and accepts the credentials. The caller
// closes the client with disconnect.
func connect(ctx context.Context, cfg spec.Config) (*mongo.Client, settings, error) {
	s, err := parseConfig(cfg)
	if err != nil {
		return nil, s, err
	}
	opts, err := s.clientOptions()
	if err != nil {
		return nil, s, err
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, s, classify(ctx, "connect", err)
	}
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// Primary preferred: a dump reads from whichever member answers, but the
	// primary when there is one; restores write to the primary anyway.
	if err := client.Ping(pctx, readpref.PrimaryPreferred()); err != nil {
		disconnect(client)
		err = classify(ctx, "connect", err)
		if errors.Is(err, spec.ErrUnavailable) {
			// Say first what a person needs; the driver's topology dump follows.
			err = fmt.Errorf("no MongoDB server answered at %s within %v: %w", strings.Join(opts.Hosts, ", "), s.timeout, err)
		}
		return nil, s, err
	}
	return client, s, nil
}

// disconnect closes client without waiting long for a server that is gone.
func disconnect(client *mongo.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client.Disconnect(ctx)
}

// Server error codes with a meaning for the spec sentinels.
const (
	codeUnauthorized         = 13
	codeAuthenticationFailed = 18
	codeNamespaceNotFound    = 26
	codeNamespaceExists      = 48
)

// classify wraps err with the spec sentinel it means, behind what was being
// done. A cancelled ctx wins: the caller asked for it.
func classify(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	var authErr *auth.Error
	var se mongo.ServerError
	switch {
	case errors.As(err, &authErr):
		return fmt.Errorf("%s: %w: %v", what, spec.ErrUnauthenticated, err)
	case errors.As(err, &se) && se.HasErrorCode(codeAuthenticationFailed):
		return fmt.Errorf("%s: %w: %v", what, spec.ErrUnauthenticated, err)
	case errors.As(err, &se) && se.HasErrorCode(codeUnauthorized):
		return fmt.Errorf("%s: %w: %v", what, spec.ErrPermission, err)
	case errors.As(err, &se) && se.HasErrorCode(codeNamespaceNotFound):
		return fmt.Errorf("%s: %w: %v", what, spec.ErrNotFound, err)
	}
	var sel topology.ServerSelectionError
	var netErr net.Error
	switch {
	case errors.As(err, &sel), errors.As(err, &netErr), mongo.IsNetworkError(err), mongo.IsTimeout(err),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, context.DeadlineExceeded):
		// The driver reports refused credentials inside a server selection
		// error when the handshake's authentication fails.
		if strings.Contains(err.Error(), "AuthenticationFailed") || strings.Contains(err.Error(), "auth error") {
			return fmt.Errorf("%s: %w: %v", what, spec.ErrUnauthenticated, err)
		}
		return fmt.Errorf("%s: %w: %v", what, spec.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
