package storage

import (
	"context"
	"fmt"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Location is a Storage that also answers Usage, with an error matching
// spec.ErrUnsupported when it cannot tell: the shape the core holds for a
// destination. host.StorageClient is one, and the decorators (WithRetry,
// WithThrottle) return one whatever they wrap.
type Location interface {
	Storage
	UsageReporter
}

// usageOf asks s for its usage when it can tell.
func usageOf(ctx context.Context, s Storage, cfg spec.Config) (Usage, error) {
	u, ok := s.(UsageReporter)
	if !ok {
		return Usage{}, fmt.Errorf("this storage does not report its usage: %w", spec.ErrUnsupported)
	}
	return u.Usage(ctx, cfg)
}
