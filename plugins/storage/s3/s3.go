package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// logger reaches the core's log.
var logger = sdk.Logger()

// s3store is the storage; it keeps no state, everything comes with cfg.
type s3store struct{}

var (
	_ storage.Storage      = (*s3store)(nil)
	_ spec.ConfigValidator = (*s3store)(nil)
)

// Test writes and removes a probe object: listing alone would pass with
// read-only credentials, and backups need write and delete.
func (s *s3store) Test(ctx context.Context, cfg spec.Config) (string, error) {
	c, err := connect(cfg)
	if err != nil {
		return "", err
	}
	opts, err := c.putOptions()
	if err != nil {
		return "", err
	}
	probe := storage.TempName()
	body := "dbkeep write probe\n"
	if _, err := c.core.PutObject(ctx, c.s.bucket, c.key(probe), strings.NewReader(body), int64(len(body)), "", "", opts); err != nil {
		return "", c.fail(ctx, "write a probe object to", "", err)
	}
	if err := c.core.RemoveObject(ctx, c.s.bucket, c.key(probe), minio.RemoveObjectOptions{}); err != nil {
		return "", c.fail(ctx, "remove the probe object from", "", err)
	}
	where := c.s.bucket
	if c.s.prefix != "" {
		where += "/" + strings.TrimSuffix(c.s.prefix, "/")
	}
	detail := fmt.Sprintf("writable: %s at %s (region %s)", where, c.s.endpoint, c.s.region)
	// Test runs when a destination is tested and as a backup initializes:
	// the place to clear the parts of uploads whose abort failed, or whose
	// plugin was killed, long ago.
	switch n, err := c.sweepStale(ctx, time.Now().Add(-staleUploadAge)); {
	case err != nil:
		logger.Warn("could not sweep stale incomplete multipart uploads", "bucket", c.s.bucket, "error", err)
	case n > 0:
		detail += fmt.Sprintf("; aborted %d incomplete multipart upload(s) older than %d days", n, staleUploadAge/(24*time.Hour))
	}
	return detail, nil
}

func (s *s3store) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Offset < 0 || req.Length < 0 {
		return nil, fmt.Errorf("download %s: negative offset or length: %w", name, spec.ErrInvalidArgument)
	}
	c, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	// Stat first: a missing object must fail the call itself, not the first
	// read, and a range starting at the end is valid here but refused by S3.
	info, err := c.core.StatObject(ctx, c.s.bucket, c.key(name), minio.StatObjectOptions{})
	if err != nil {
		return nil, c.fail(ctx, "download", name, err)
	}
	if req.Offset >= info.Size {
		return io.NopCloser(strings.NewReader("")), nil
	}
	end := info.Size - 1
	if req.Length > 0 {
		end = min(end, req.Offset+req.Length-1)
	}
	var opts minio.GetObjectOptions
	if err := opts.SetRange(req.Offset, end); err != nil {
		return nil, fmt.Errorf("download %s: %v: %w", name, err, spec.ErrInvalidArgument)
	}
	// The bytes read must be those of the object just described: if it was
	// replaced in between, S3 refuses rather than mixing two versions.
	if err := opts.SetMatchETag(info.ETag); err != nil {
		return nil, fmt.Errorf("download %s: %w", name, err)
	}
	body, _, _, err := c.core.GetObject(ctx, c.s.bucket, c.key(name), opts)
	if err != nil {
		return nil, c.fail(ctx, "download", name, err)
	}
	return body, nil
}

func (s *s3store) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	c, err := connect(cfg)
	if err != nil {
		return err
	}
	// Cancelling stops minio-go's paging goroutine when fn ends the listing.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// minio-go pages through ListObjectsV2 (1,000 keys a page) with
	// continuation tokens as the channel is drained.
	for o := range c.core.Client.ListObjects(ctx, c.s.bucket, minio.ListObjectsOptions{Prefix: c.key(prefix), Recursive: true}) {
		if o.Err != nil {
			return c.fail(ctx, "list", "", o.Err)
		}
		name := strings.TrimPrefix(o.Key, c.s.prefix)
		// Folder markers made by consoles are not objects, and names CleanName
		// refuses (temporary objects, the probe) are not backups.
		if _, err := storage.CleanName(name); strings.HasSuffix(name, "/") || err != nil {
			continue
		}
		if err := fn(storage.ObjectInfo{Name: name, Size: o.Size, Modified: o.LastModified.UTC()}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *s3store) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	c, err := connect(cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	info, err := c.core.StatObject(ctx, c.s.bucket, c.key(name), minio.StatObjectOptions{})
	if err != nil {
		return storage.ObjectInfo{}, c.fail(ctx, "stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: info.Size, Modified: info.LastModified.UTC()}, nil
}

// Delete checks that the object exists first: S3 answers a delete of a
// missing key with success, and the contract wants spec.ErrNotFound. The
// check and the delete are two requests; an object deleted by someone else
// in between is reported deleted, which is what the caller wanted.
func (s *s3store) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	c, err := connect(cfg)
	if err != nil {
		return err
	}
	if _, err := c.core.StatObject(ctx, c.s.bucket, c.key(name), minio.StatObjectOptions{}); err != nil {
		return c.fail(ctx, "delete", name, err)
	}
	if err := c.core.RemoveObject(ctx, c.s.bucket, c.key(name), minio.RemoveObjectOptions{}); err != nil {
		return c.fail(ctx, "delete", name, err)
	}
	return nil
}
