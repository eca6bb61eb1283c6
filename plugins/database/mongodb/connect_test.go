package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// TestClassify maps server error codes and network failures to the spec
// sentinels. FerretDB on SQLite checks no credentials, so refused
// credentials are checked here by their code.
func TestClassify(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want error
	}{
		{mongo.CommandError{Code: 18, Name: "AuthenticationFailed", Message: "Authentication failed."}, spec.ErrUnauthenticated},
		{mongo.CommandError{Code: 13, Name: "Unauthorized", Message: "not authorized on shop"}, spec.ErrPermission},
		{mongo.CommandError{Code: 26, Name: "NamespaceNotFound"}, spec.ErrNotFound},
		{fmt.Errorf("dial: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), spec.ErrUnavailable},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), spec.ErrUnavailable},
	} {
		if got := classify(ctx, "test", tc.err); !errors.Is(got, tc.want) {
			t.Errorf("classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got := classify(cancelled, "test", errors.New("anything")); !errors.Is(got, context.Canceled) {
		t.Errorf("classify under a cancelled context = %v", got)
	}
}
