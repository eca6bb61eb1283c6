package main

import (
	"context"
	"fmt"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// statvfsExtension is OpenSSH's SFTP extension for filesystem space.
const statvfsExtension = "statvfs@openssh.com"

// Usage reports the filesystem holding the folder, through statvfs: free
// space decides whether the next backup fits. A server without the
// extension answers spec.ErrUnsupported.
func (st *sftpstore) Usage(ctx context.Context, cfg spec.Config) (storage.Usage, error) {
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.Usage{}, err
	}
	defer sess.Close()
	u, err := sess.usage()
	if err != nil {
		return storage.Usage{}, sess.fail(ctx, "usage of", "", err)
	}
	return u, nil
}

func (sess *session) usage() (storage.Usage, error) {
	if _, ok := sess.c.HasExtension(statvfsExtension); !ok {
		return storage.Usage{}, fmt.Errorf("the server does not report free space (no %s): %w", statvfsExtension, spec.ErrUnsupported)
	}
	vfs, err := sess.c.StatVFS(sess.s.base)
	if err != nil {
		return storage.Usage{}, err
	}
	bs := int64(vfs.Frsize)
	if bs == 0 {
		bs = int64(vfs.Bsize)
	}
	return storage.Usage{
		UsedBytes:  int64(vfs.Blocks-vfs.Bfree) * bs,
		FreeBytes:  int64(vfs.Bavail) * bs,
		TotalBytes: int64(vfs.Blocks) * bs,
	}, nil
}
