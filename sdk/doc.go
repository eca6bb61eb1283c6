// Package sdk is where a dbkeep plugin author starts. A plugin is a program
// whose main function calls Serve with a Plugin: a name, a version, a
// configuration schema, and an implementation of one kind's interface from
// package database, storage, notification or oidc.
//
//	func main() {
//		sdk.Serve(sdk.Plugin{
//			Name:    "mystore",
//			Version: "1.0.0",
//			Schema:  spec.Schema{Fields: []spec.Field{{Name: "root", Label: "Folder", Type: spec.String, Required: true}}},
//			Storage: &myStore{},
//		})
//	}
//
// Build it as dbkeep-<kind>-<name> (dbkeep-storage-mystore), test it with the
// conformance kit of its kind (storagetest.Run and friends), and install it
// with `dbkeep plugins install`. docs/plugins.md walks through all of it.
//
// Serve speaks the wire protocol (gRPC over hashicorp/go-plugin) for you:
// configuration is validated against the schema before your code sees it,
// errors from package spec cross the boundary intact, bytes are chunked, and
// the core's cancellation arrives as your context's cancellation.
package sdk
