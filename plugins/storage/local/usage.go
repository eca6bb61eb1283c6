//go:build linux || darwin

package main

import (
	"context"
	"syscall"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// Usage reports the filesystem holding the directory. Free is what an
// unprivileged writer may still use (blocks reserved for root excluded), as
// df shows it.
func (l *local) Usage(_ context.Context, cfg spec.Config) (storage.Usage, error) {
	root, err := open(cfg)
	if err != nil {
		return storage.Usage{}, err
	}
	defer root.Close()
	var st syscall.Statfs_t
	if err := syscall.Statfs(root.Name(), &st); err != nil {
		return storage.Usage{}, baseError(root.Name(), err)
	}
	bs := int64(st.Bsize)
	return storage.Usage{
		UsedBytes:  (int64(st.Blocks) - int64(st.Bfree)) * bs,
		FreeBytes:  int64(st.Bavail) * bs,
		TotalBytes: int64(st.Blocks) * bs,
	}, nil
}
