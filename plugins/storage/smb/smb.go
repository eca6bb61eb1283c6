package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// cleanupTimeout bounds removing a temporary file after a failed upload,
// which may need a new connection when the caller's context has ended.
const cleanupTimeout = 30 * time.Second

// cancelGrace is how long an upload's connection outlives its caller's
// cancellation, for an orderly clean-up; a stalled server is cut after it.
const cancelGrace = 2 * time.Second

// logger reaches the core's log.
var logger = sdk.Logger()

// smbstore is the storage; it keeps no state, everything comes with cfg.
type smbstore struct{}

var (
	_ storage.Storage       = (*smbstore)(nil)
	_ storage.UsageReporter = (*smbstore)(nil)
	_ spec.ConfigValidator  = (*smbstore)(nil)
)

// Test writes and removes a probe file and reports free space.
func (st *smbstore) Test(ctx context.Context, cfg spec.Config) (string, error) {
	conn, err := connect(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	probe := conn.s.join(storage.TempName())
	if err := conn.write(probe, strings.NewReader("dbkeep write probe\n")); err != nil {
		conn.share.Remove(probe)
		return "", conn.fail(ctx, "write a probe file to", "", err)
	}
	if err := conn.share.Remove(probe); err != nil {
		return "", conn.fail(ctx, "remove the probe file from", "", err)
	}
	detail := "writable"
	if u, err := conn.usage(); err == nil {
		detail += fmt.Sprintf(", %s free of %s", storage.FormatSize(u.FreeBytes), storage.FormatSize(u.TotalBytes))
	}
	if conn.s.encrypt {
		detail += ", encrypted"
	}
	return detail, nil
}

// write creates p, which must not exist, and fills it from r.
func (conn *session) write(p string, r io.Reader) error {
	f, err := conn.share.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	// ReadFrom writes in the largest pieces the server accepts.
	_, err = f.ReadFrom(r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (st *smbstore) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	// The connection outlives a cancellation briefly: the source fails at
	// once then, and the temporary file is closed and removed in order
	// over this connection.
	lctx, release := linger(ctx, cancelGrace)
	defer release()
	conn, err := connect(lctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer conn.Close()
	final := conn.s.join(name)
	dir := path.Dir(final)
	tmp := path.Join(dir, storage.TempName())
	counted := &countingReader{r: r}
	// A concurrent Delete may remove the folder, empty, between MkdirAll
	// and the temporary file's creation: make it again and retry.
	for attempt := 0; ; attempt++ {
		if dir != "." {
			if err := conn.share.MkdirAll(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return storage.ObjectInfo{}, conn.fail(ctx, "upload", name, err)
			}
		}
		f, err := conn.share.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
				continue
			}
			return storage.ObjectInfo{}, conn.fail(ctx, "upload", name, err)
		}
		_, err = f.ReadFrom(counted)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = ctx.Err() // the source ended, but the caller gave up
		}
		if err != nil {
			conn.discard(ctx, cfg, tmp)
			if counted.err != nil {
				// The source failed: that, not what it did to the transfer, is the news.
				return storage.ObjectInfo{}, fmt.Errorf("upload %s: reading the data to store: %w", name, counted.err)
			}
			return storage.ObjectInfo{}, conn.fail(ctx, "upload", name, err)
		}
		break
	}
	// SMB rename with ReplaceIfExists: the final name holds the old object
	// or the new one, never a part.
	if err := conn.share.Rename(tmp, final); err != nil {
		conn.discard(ctx, cfg, tmp)
		return storage.ObjectInfo{}, conn.fail(ctx, "upload", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: counted.n}, nil
}

// countingReader counts what passes and keeps the source's own error,
// which the SMB client may report in its words.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}

// linger returns a context that ends grace after ctx does, or when released.
func linger(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-lctx.Done():
		}
	})
	return lctx, func() { stop(); cancel() }
}

// discard removes the temporary file of a failed upload. When the
// connection was cut (a stalled server), a new one does it.
func (conn *session) discard(ctx context.Context, cfg spec.Config, tmp string) {
	if err := conn.share.Remove(tmp); err == nil || errors.Is(err, fs.ErrNotExist) {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := connect(cctx, cfg)
	if err == nil {
		defer fresh.Close()
		err = fresh.share.Remove(tmp)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		storage.WarnTempLeft(logger, tmp, err)
	}
}

func (st *smbstore) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Offset < 0 || req.Length < 0 {
		return nil, fmt.Errorf("download %s: negative offset or length: %w", name, spec.ErrInvalidArgument)
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := conn.s.join(name)
	if _, err := conn.regular(p); err != nil {
		conn.Close()
		return nil, conn.fail(ctx, "download", name, err)
	}
	f, err := conn.share.Open(p)
	if err == nil && req.Offset > 0 {
		_, err = f.Seek(req.Offset, io.SeekStart)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		conn.Close()
		return nil, conn.fail(ctx, "download", name, err)
	}
	var r io.Reader = f
	if req.Length > 0 {
		r = io.LimitReader(f, req.Length)
	}
	return &download{r: r, f: f, conn: conn, ctx: ctx, name: name}, nil
}

// download reads one file; closing it ends the call's connection.
type download struct {
	r    io.Reader
	f    io.Closer
	conn *session
	ctx  context.Context
	name string
}

// Read gives a failure its meaning, as any other call's: a connection lost
// mid-stream is spec.ErrUnavailable, which a caller may resume from.
func (d *download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = d.conn.fail(d.ctx, "download", d.name, err)
	}
	return n, err
}

func (d *download) Close() error {
	d.f.Close()
	return d.conn.Close()
}

func (st *smbstore) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	// SMB servers freeze a file's write time at its first write until it
	// is closed (Windows does, Samba follows), so a live upload shows its
	// start time: age alone would take one running longer than
	// storage.StaleTempAge for a dead one. But an upload's open shares no
	// delete access, so the server refuses to remove its file while it
	// runs (a sharing violation): only a closed file, whose writer is gone,
	// is removed.
	sweep := &storage.TempSweeper{
		Logger: logger.With("folder", conn.s.where()),
		Remove: func(rel string) error { return conn.share.Remove(conn.s.join(rel)) },
		InUse:  func(err error) bool { return ntStatus(err) == statusSharingViolation },
	}
	// Walk only the deepest folder the prefix names whole.
	start := path.Dir(prefix + "x")
	if start == "." {
		start = ""
	}
	dirs := []string{start}
	for len(dirs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := dirs[len(dirs)-1]
		dirs = dirs[:len(dirs)-1]
		entries, err := conn.share.ReadDir(conn.s.join(dir))
		if err != nil {
			if dir == start && errors.Is(err, fs.ErrNotExist) {
				return nil // nothing stored under the prefix
			}
			return conn.fail(ctx, "list", "", err)
		}
		for _, fi := range entries {
			rel := path.Join(dir, fi.Name())
			if fi.IsDir() {
				if strings.HasPrefix(rel+"/", prefix) || strings.HasPrefix(prefix, rel+"/") {
					dirs = append(dirs, rel)
				}
				continue
			}
			if storage.IsTemp(rel) {
				if fi.Mode().IsRegular() {
					sweep.Sweep(rel, fi.ModTime())
				}
				continue
			}
			if !strings.HasPrefix(rel, prefix) || !fi.Mode().IsRegular() {
				continue
			}
			if err := fn(storage.ObjectInfo{Name: rel, Size: fi.Size(), Modified: fi.ModTime().UTC()}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *smbstore) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer conn.Close()
	fi, err := conn.regular(conn.s.join(name))
	if err != nil {
		return storage.ObjectInfo{}, conn.fail(ctx, "stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
}

// Delete removes the file and the folders it leaves empty, so pruned backup
// sets leave no trail of empty folders. The folder itself stays.
func (st *smbstore) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	p := conn.s.join(name)
	if _, err := conn.regular(p); err != nil {
		return conn.fail(ctx, "delete", name, err)
	}
	if err := conn.share.Remove(p); err != nil {
		return conn.fail(ctx, "delete", name, err)
	}
	// Removing a folder that is not empty fails: that ends the climb.
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if conn.share.Remove(conn.s.join(dir)) != nil {
			break
		}
	}
	return nil
}
