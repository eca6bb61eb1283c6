package pluginhost

import (
	"context"
	"io"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// storageClient reaches a storage plugin through the Host's supervision.
type storageClient struct {
	h  *Host
	id string
}

var _ host.StorageClient = storageClient{}

func (c storageClient) Test(ctx context.Context, cfg spec.Config) (string, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (string, error) {
		return i.conn.Storage().Test(ctx, cfg)
	})
}

func (c storageClient) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (storage.ObjectInfo, error) {
		return i.conn.Storage().Upload(ctx, cfg, req, r)
	})
}

// Download keeps the call bound to the process until the reader is closed,
// so a crash mid-stream fails the next Read with a *CrashError.
func (c storageClient) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	inst, err := c.h.acquire(ctx, c.id)
	if err != nil {
		return nil, err
	}
	cctx, release := inst.bind(ctx)
	rc, err := inst.conn.Storage().Download(cctx, cfg, req)
	if err != nil {
		release()
		return nil, inst.wrap(ctx, err)
	}
	return &streamReader{rc: rc, inst: inst, ctx: ctx, release: release}, nil
}

func (c storageClient) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	return c.h.do(ctx, c.id, func(ctx context.Context, i *instance) error {
		return i.conn.Storage().List(ctx, cfg, prefix, fn)
	})
}

func (c storageClient) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (storage.ObjectInfo, error) {
		return i.conn.Storage().Stat(ctx, cfg, name)
	})
}

func (c storageClient) Delete(ctx context.Context, cfg spec.Config, name string) error {
	return c.h.do(ctx, c.id, func(ctx context.Context, i *instance) error {
		return i.conn.Storage().Delete(ctx, cfg, name)
	})
}

func (c storageClient) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	return call(ctx, c.h, c.id, func(ctx context.Context, i *instance) (storage.Usage, error) {
		return i.conn.Storage().Usage(ctx, cfg)
	})
}
