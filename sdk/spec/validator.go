package spec

import "context"

// ConfigValidator is implemented by a plugin that checks configurations beyond
// what its Schema says (a URL that must parse, two fields that exclude each
// other). It must not touch the network: Test does that. It returns nil or a
// *ValidationError. The SDK runs it after the schema's own checks passed, in
// ValidateConfig and before every call.
type ConfigValidator interface {
	ValidateConfig(ctx context.Context, cfg Config) error
}
