package main

import (
	"context"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Usage reports the volume holding the folder, as the server reports it
// to this user (quotas included): free space decides whether the next
// backup fits.
func (st *smbstore) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return storage.Usage{}, err
	}
	defer conn.Close()
	u, err := conn.usage()
	if err != nil {
		return storage.Usage{}, conn.fail(ctx, "usage of", "", err)
	}
	return u, nil
}

func (conn *session) usage() (storage.Usage, error) {
	fsi, err := conn.share.Statfs(conn.s.base)
	if err != nil {
		return storage.Usage{}, err
	}
	bs := int64(fsi.BlockSize())
	total := int64(fsi.TotalBlockCount()) * bs
	return storage.Usage{
		UsedBytes:  total - int64(fsi.FreeBlockCount())*bs,
		FreeBytes:  int64(fsi.AvailableBlockCount()) * bs,
		TotalBytes: total,
	}, nil
}
