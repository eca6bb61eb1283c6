// Package depcheck holds the test that keeps the repository's dependency
// direction one way (DESIGN §1): plugins and examples import only the SDK, the
// SDK imports nothing of this repository, and the core never imports a plugin.
package depcheck
