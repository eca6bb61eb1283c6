package storage

import (
	"context"
	"io"
	"time"

	"github.com/dbkeep/dbkeep/sdk/spec"
)

// Storage keeps named objects. Every method receives the configuration, already
// validated against the plugin's schema; a plugin keeps no state between calls
// that the configuration does not determine. Methods are called concurrently.
//
// Errors: a missing object is spec.ErrNotFound; refused credentials
// spec.ErrUnauthenticated; refused access spec.ErrPermission; a full disk or
// quota spec.ErrNoSpace; an unreachable server spec.ErrUnavailable; a bad name
// spec.ErrInvalidArgument. Wrap them with words a person understands:
// fmt.Errorf("bucket %q does not exist: %w", b, spec.ErrNotFound).
type Storage interface {
	// Test checks that the location is reachable and writable by writing and
	// removing a probe object, and returns a one-line human description
	// ("writable, 12.0 GiB free").
	Test(ctx context.Context, cfg spec.Config) (string, error)

	// Upload stores everything r yields under req.Name. The object must appear
	// under its final name only after every byte is durably stored: write to a
	// temporary name and rename, or use a multipart upload completed at the end.
	// An existing object is replaced only when the new one is complete: if r
	// fails or ctx is cancelled, no part of the new object may appear under
	// req.Name (a previous object of that name stays as it was) and no
	// temporary object may be left behind.
	// The SDK computes the returned Size and SHA256 from the bytes it streamed;
	// an implementation may leave them zero.
	Upload(ctx context.Context, cfg spec.Config, req UploadRequest, r io.Reader) (ObjectInfo, error)

	// Download returns a reader over req.Length bytes of the object starting at
	// req.Offset (Length 0: to the end). The caller closes it.
	Download(ctx context.Context, cfg spec.Config, req DownloadRequest) (io.ReadCloser, error)

	// List calls fn for every object whose name starts with prefix, in any
	// order, never for temporary objects of uploads in progress. It stops and
	// returns fn's error if fn fails.
	List(ctx context.Context, cfg spec.Config, prefix string, fn func(ObjectInfo) error) error

	// Stat describes one object.
	Stat(ctx context.Context, cfg spec.Config, name string) (ObjectInfo, error)

	// Delete removes one object; a missing object is spec.ErrNotFound.
	Delete(ctx context.Context, cfg spec.Config, name string) error
}

// UsageReporter is implemented by storage that can tell how full it is. Its
// presence is the capability spec.CapUsage.
type UsageReporter interface {
	Usage(ctx context.Context, cfg spec.Config) (Usage, error)
}

// UploadRequest names the object to write.
type UploadRequest struct {
	Name string
	// SizeHint is the expected size, or -1 when unknown (a streamed dump).
	SizeHint int64
}

// DownloadRequest selects the bytes to read.
type DownloadRequest struct {
	Name   string
	Offset int64
	// Length 0 reads to the end.
	Length int64
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Name     string
	Size     int64
	Modified time.Time
	// SHA256 is the lower-case hex digest; set by Upload, may be empty elsewhere.
	SHA256 string
}

// Usage reports space; a value is -1 when unknown.
type Usage struct {
	UsedBytes  int64
	FreeBytes  int64
	TotalBytes int64
}
