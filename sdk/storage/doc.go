// Package storage is the contract of a storage plugin: a place that keeps
// backup objects (a directory, a bucket, an SFTP folder).
//
// An author implements Storage (and, when the backend can tell, UsageReporter)
// and hands it to sdk.Serve. The core receives the same Storage interface,
// implemented by the SDK over gRPC, so one conformance kit (storagetest) checks
// the implementation through the real plugin boundary.
//
// Object names are slash-separated relative paths such as
// "nightly/20261127T020000Z_42/app.sql.zst.dbk". An implementation must refuse
// any name that would escape its configured location, with an error wrapping
// spec.ErrInvalidArgument. CleanName does the common checks.
//
// Retrying and pacing are not a plugin's business: they are decorators that
// work on any Storage. WithRetry tries the idempotent calls again on
// transient errors (IsTransient), with backoff; the core wraps every
// destination in it. WithThrottle caps a destination's bandwidth and
// concurrent transfers (the core does not apply it yet: destinations have no
// such settings). Each returns a Location, and Unwrap reaches the storage
// inside.
package storage
