// Package oidc is the contract of an OIDC provider plugin: it tells the core
// where an identity provider is and how to read its claims. The core runs the
// login flow itself (authorization code with PKCE, state and nonce), so a
// plugin holds no session and sees no user.
package oidc
