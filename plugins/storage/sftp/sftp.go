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

// logger reaches the core's log.
var logger = sdk.Logger()

// sftpstore is the storage; it keeps no state, everything comes with cfg.
type sftpstore struct{}

var (
	_ storage.Storage       = (*sftpstore)(nil)
	_ storage.UsageReporter = (*sftpstore)(nil)
	_ spec.ConfigValidator  = (*sftpstore)(nil)
)

// Test writes and removes a probe file, reports free space when the server
// tells, and the host key, so that a key trusted on first use can be pinned.
func (st *sftpstore) Test(ctx context.Context, cfg spec.Config) (string, error) {
	sess, err := connect(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer sess.Close()
	probe := sess.s.join(storage.TempName())
	if err := sess.write(probe, strings.NewReader("dbkeep write probe\n")); err != nil {
		sess.c.Remove(probe)
		return "", sess.note(sess.fail(ctx, "write a probe file to", "", err))
	}
	if err := sess.c.Remove(probe); err != nil {
		return "", sess.note(sess.fail(ctx, "remove the probe file from", "", err))
	}
	detail := "writable"
	if u, err := sess.usage(); err == nil {
		detail += fmt.Sprintf(", %s free of %s", storage.FormatSize(u.FreeBytes), storage.FormatSize(u.TotalBytes))
	}
	if sess.s.tofu {
		return fmt.Sprintf("%s; host key %s %s trusted on first use, not verified: pin it as the host key", detail, sess.keyType, sess.hostKey), nil
	}
	return fmt.Sprintf("%s; host key %s verified", detail, sess.hostKey), nil
}

// write creates p, which must not exist, and fills it from r.
func (sess *session) write(p string, r io.Reader) error {
	f, err := sess.c.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	// ReadFrom keeps several writes in flight (UseConcurrentWrites).
	_, err = f.ReadFrom(r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (st *sftpstore) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	// The connection outlives a cancellation briefly: the source fails at
	// once then, and the temporary file is closed and removed in order over
	// this connection. Cutting it at once would leave the server to close
	// the file after its removal, which some servers make recreate it.
	lctx, release := linger(ctx, cancelGrace)
	defer release()
	sess, err := connect(lctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	final := sess.s.join(name)
	dir := path.Dir(final)
	tmp := path.Join(dir, storage.TempName())
	counted := &countingReader{r: r}
	// A concurrent Delete may remove the folder, empty, between MkdirAll
	// and the temporary file's creation: make it again and retry.
	for attempt := 0; ; attempt++ {
		if err := sess.c.MkdirAll(dir); err != nil {
			return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
		}
		f, err := sess.c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
				continue
			}
			return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
		}
		_, err = f.ReadFrom(counted)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = ctx.Err() // the source ended, but the caller gave up
		}
		if err != nil {
			sess.discard(ctx, cfg, tmp)
			if counted.err != nil {
				// The source failed: that, not what it did to the transfer, is the news.
				return storage.ObjectInfo{}, fmt.Errorf("upload %s: reading the data to store: %w", name, counted.err)
			}
			return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
		}
		break
	}
	if err := sess.replace(tmp, final); err != nil {
		sess.discard(ctx, cfg, tmp)
		return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: counted.n}, nil
}

// countingReader counts what passes and keeps the source's own error, which
// the SFTP client may report in its words.
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

// replace renames tmp over final. With posix-rename@openssh.com (OpenSSH and
// most servers) that is atomic: final holds the old object or the new one.
// Plain SFTP rename refuses an existing target, so without the extension the
// old object is removed first: for that moment neither is under final (the
// new one is whole under its temporary name, invisible to List).
func (sess *session) replace(tmp, final string) error {
	if _, ok := sess.c.HasExtension("posix-rename@openssh.com"); ok {
		return sess.c.PosixRename(tmp, final)
	}
	err := sess.c.Rename(tmp, final)
	if err == nil {
		return nil
	}
	if _, serr := sess.c.Lstat(final); serr != nil {
		return err
	}
	if err := sess.c.Remove(final); err != nil {
		return err
	}
	return sess.c.Rename(tmp, final)
}

// cancelGrace is how long an upload's connection outlives its caller's
// cancellation, for an orderly clean-up; a stalled server is cut after it.
const cancelGrace = 2 * time.Second

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
func (sess *session) discard(ctx context.Context, cfg spec.Config, tmp string) {
	if err := sess.c.Remove(tmp); err == nil || errors.Is(err, fs.ErrNotExist) {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := connect(cctx, cfg)
	if err == nil {
		defer fresh.Close()
		err = fresh.c.Remove(tmp)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		storage.WarnTempLeft(logger, tmp, err)
	}
}

func (st *sftpstore) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Offset < 0 || req.Length < 0 {
		return nil, fmt.Errorf("download %s: negative offset or length: %w", name, spec.ErrInvalidArgument)
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p := sess.s.join(name)
	if _, err := sess.regular(p); err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	f, err := sess.c.Open(p)
	if err == nil && req.Offset > 0 {
		_, err = f.Seek(req.Offset, io.SeekStart)
	}
	if err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	var r io.Reader = f
	if req.Length > 0 {
		r = io.LimitReader(f, req.Length)
	}
	return &download{r: r, f: f, sess: sess, ctx: ctx, name: name}, nil
}

// download reads one file; closing it ends the call's connection.
type download struct {
	r    io.Reader
	f    io.Closer
	sess *session
	ctx  context.Context
	name string
}

// Read gives a failure its meaning, as any other call's: a connection lost
// mid-stream is spec.ErrUnavailable, from which a retrying caller
// (storage.WithRetry) resumes at the first byte it did not get.
func (d *download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = d.sess.fail(d.ctx, "download", d.name, err)
	}
	return n, err
}

func (d *download) Close() error {
	d.f.Close()
	return d.sess.Close()
}

func (st *sftpstore) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	// The server writes an upload's file in place, so a live upload's
	// time keeps moving: age alone tells a dead one (storage.StaleTempAge).
	sweep := &storage.TempSweeper{Logger: logger.With("server", sess.s.addr), Remove: sess.c.Remove}
	// Walk only the deepest folder the prefix names whole.
	start := sess.s.join(path.Dir(prefix + "x"))
	w := sess.c.Walk(start)
	for w.Step() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Err(); err != nil {
			if w.Path() == start && errors.Is(err, fs.ErrNotExist) {
				return nil // nothing stored under the prefix
			}
			return sess.fail(ctx, "list", "", err)
		}
		rel := sess.s.rel(w.Path())
		fi := w.Stat()
		if fi.IsDir() {
			if rel != "" && !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				w.SkipDir()
			}
			continue
		}
		if storage.IsTemp(rel) {
			if fi.Mode().IsRegular() {
				sweep.Sweep(w.Path(), fi.ModTime())
			}
			continue
		}
		if !strings.HasPrefix(rel, prefix) {
			continue
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			// A link counts as the file it leads to, as Stat and Download see it.
			if fi, err = sess.regular(w.Path()); err != nil {
				continue
			}
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if err := fn(storage.ObjectInfo{Name: rel, Size: fi.Size(), Modified: fi.ModTime().UTC()}); err != nil {
			return err
		}
	}
	return nil
}

// rel is the object name of server path p under the folder.
func (s settings) rel(p string) string {
	switch s.base {
	case ".":
		if p == "." {
			return ""
		}
		return p
	case "/":
		return strings.TrimPrefix(p, "/")
	}
	if p == s.base {
		return ""
	}
	return strings.TrimPrefix(p, s.base+"/")
}

func (st *sftpstore) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	fi, err := sess.regular(sess.s.join(name))
	if err != nil {
		return storage.ObjectInfo{}, sess.fail(ctx, "stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
}

// Delete removes the file and the folders it leaves empty, so pruned backup
// sets leave no trail of empty folders. The folder itself stays.
func (st *sftpstore) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	p := sess.s.join(name)
	if _, err := sess.regular(p); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	if err := sess.c.Remove(p); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	// RemoveDirectory refuses a folder that is not empty.
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if sess.c.RemoveDirectory(sess.s.join(dir)) != nil {
			break
		}
	}
	return nil
}
