package oidc

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Provider describes an identity provider from its configuration.
type Provider interface {
	Endpoints(ctx context.Context, cfg spec.Config) (Endpoints, error)
}

// Endpoints is what the core needs to run an OpenID Connect login.
type Endpoints struct {
	DisplayName string
	Issuer      string
	// DiscoveryURL overrides Issuer + "/.well-known/openid-configuration".
	DiscoveryURL string
	ClientID     string
	ClientSecret string
	Scopes       []string
	Claims       ClaimMapping
}

// ClaimMapping names the ID-token claims that carry each user attribute;
// empty means the standard claim.
type ClaimMapping struct {
	Username string
	Email    string
	Name     string
	Groups   string
}
