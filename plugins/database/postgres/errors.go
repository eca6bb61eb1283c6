package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// classify wraps err, from a connection or a query, with the spec sentinel its
// SQLSTATE or network failure means, behind what was being done.
func classify(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000": // invalid_password, invalid_authorization_specification
			return fmt.Errorf("%s: %w: %s", what, spec.ErrUnauthenticated, pgErr.Message)
		case "3D000": // invalid_catalog_name
			return fmt.Errorf("%s: %w: %s", what, spec.ErrNotFound, pgErr.Message)
		case "42501": // insufficient_privilege
			return fmt.Errorf("%s: %w: %s", what, spec.ErrPermission, pgErr.Message)
		case "57P03", "53300", "08006", "08001": // cannot_connect_now, too_many_connections, connection failures
			return fmt.Errorf("%s: %w: %s", what, spec.ErrUnavailable, pgErr.Message)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr), errors.As(err, &netErr),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT), // ENOENT: no Unix socket
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return fmt.Errorf("%s: %w: %v", what, spec.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
