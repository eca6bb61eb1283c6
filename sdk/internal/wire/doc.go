// Package wire is the edge between the plugin interfaces of the SDK and the
// generated gRPC code: the server halves adapt an author's implementation to
// the services, the client halves implement the same Go interfaces by calling
// the stubs. Generated types never leave this package.
package wire
