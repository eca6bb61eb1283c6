package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// cleanupTimeout bounds deleting a temporary resource after a failed upload.
const cleanupTimeout = 30 * time.Second

// logger reaches the core's log.
var logger = sdk.Logger()

// davstore is the storage; it keeps no state, everything comes with cfg.
type davstore struct{}

var (
	_ storage.Storage      = (*davstore)(nil)
	_ spec.ConfigValidator = (*davstore)(nil)
)

// Test writes and removes a probe file: reading the folder alone would pass
// with read-only credentials, and backups need write and delete.
func (st *davstore) Test(ctx context.Context, cfg spec.Config) (string, error) {
	sess, err := connect(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer sess.Close()
	probe := storage.TempName()
	if err := sess.put(probe, strings.NewReader("dbkeep write probe\n")); err != nil {
		sess.c.Remove(probe)
		return "", sess.fail(ctx, "write a probe file to", "", sess.refused(probe, err))
	}
	if err := sess.c.Remove(probe); err != nil {
		return "", sess.fail(ctx, "remove the probe file from", "", err)
	}
	detail := "writable: folder " + sess.s.shown
	if q, ok := sess.quota(ctx); ok {
		detail += "; " + q
	}
	if sess.s.tls.InsecureSkipVerify && strings.HasPrefix(sess.s.root, "https:") {
		detail += "; TLS certificate NOT verified"
	}
	if strings.HasPrefix(sess.s.root, "http:") && sess.s.password != "" {
		detail += "; the password and backups travel unencrypted (http)"
	}
	return detail, nil
}

// put streams r to p with chunked transfer encoding: an unknown length, so
// that nothing is buffered.
func (sess *session) put(p string, r io.Reader) error {
	return sess.c.WriteStreamWithLength(p, r, -1, 0)
}

func (st *davstore) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	tmp := path.Join(path.Dir(name), storage.TempName())
	counted := &countingReader{r: r}
	// put makes the folders first (MKCOL), then streams.
	err = sess.put(tmp, counted)
	if err == nil {
		err = ctx.Err() // the source ended, but the caller gave up
	}
	if err != nil {
		sess.discard(ctx, cfg, tmp)
		if counted.err != nil {
			// The source failed: that, not what it did to the request, is the news.
			return storage.ObjectInfo{}, fmt.Errorf("upload %s: reading the data to store: %w", name, counted.err)
		}
		return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, sess.refused(tmp, err))
	}
	if err := sess.publish(tmp, name); err != nil {
		sess.discard(ctx, cfg, tmp)
		return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: counted.n}, nil
}

// refused explains a PUT answered 404, 405 or 409 although its folder
// exists: servers answer so for a read-only account or share (rclone serve
// webdav --read-only answers 404), not only for a missing folder.
func (sess *session) refused(p string, err error) error {
	code := status(err)
	if code != http.StatusNotFound && code != http.StatusMethodNotAllowed && code != http.StatusConflict {
		return err
	}
	dir := path.Dir(p)
	if dir == "." {
		dir = ""
	}
	if fi, serr := sess.c.Stat(dir); serr != nil || !fi.IsDir() {
		return err
	}
	return fmt.Errorf("the server refuses to store files here (PUT answered %d %s although the folder exists): is the account or share read-only? %w",
		code, http.StatusText(code), spec.ErrPermission)
}

// publish moves the complete temporary resource over the final name. A
// server refusing MOVE gets COPY and DELETE: not atomic, but the final name
// still only ever holds a complete object.
func (sess *session) publish(tmp, final string) error {
	err := sess.c.Rename(tmp, final, true)
	if code := status(err); code != http.StatusMethodNotAllowed && code != http.StatusNotImplemented {
		return err
	}
	logger.Warn("the WebDAV server refuses MOVE; copying each upload into place instead (not atomic, slower)", "folder", sess.s.shown)
	if err := sess.c.Copy(tmp, final, true); err != nil {
		if code := status(err); code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented {
			return fmt.Errorf("the server refuses both MOVE and COPY (%d): dbkeep needs one of them to put a complete upload under its name", code)
		}
		return err
	}
	return sess.c.Remove(tmp)
}

// countingReader counts what passes and keeps the source's own error, which
// the HTTP client may report in its words.
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

// discard deletes the temporary resource of a failed upload, with a fresh
// client since the call's context may have ended. The server may still be
// finishing the aborted PUT when the DELETE arrives: it then refuses the
// DELETE while the file is open (rclone answers 423 Locked), or stores the
// file after it. So discard tries again, and looks again a moment after a
// DELETE that worked, for up to discardWait.
func (sess *session) discard(ctx context.Context, cfg spec.Config, tmp string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := connect(cctx, cfg)
	if err == nil {
		defer fresh.Close()
		for deadline := time.Now().Add(discardWait); ; {
			err = fresh.c.Remove(tmp) // a missing resource is no error
			if err != nil && !stillStoring(err) {
				break
			}
			if err == nil {
				time.Sleep(discardPause)
				if _, serr := fresh.c.Stat(tmp); status(serr) == http.StatusNotFound {
					return
				}
				err = errors.New("it came back after the DELETE")
			}
			if time.Now().After(deadline) || cctx.Err() != nil {
				break
			}
			time.Sleep(discardPause)
		}
	}
	storage.WarnTempLeft(logger, tmp, err)
}

// stillStoring reports whether a DELETE was refused because the server is
// still busy with the aborted PUT of the same resource: 423 Locked while
// the file is open, 409 Conflict from servers that say it so.
func stillStoring(err error) bool {
	code := status(err)
	return code == http.StatusLocked || code == http.StatusConflict
}

// discardWait and discardPause bound how long discard waits for a server
// finishing an aborted PUT.
const (
	discardWait  = 5 * time.Second
	discardPause = 200 * time.Millisecond
)

func (st *davstore) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
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
	info, err := sess.stat(name)
	if err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	if req.Offset >= info.Size {
		sess.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	var body io.ReadCloser
	if req.Offset == 0 && req.Length == 0 {
		body, err = sess.c.ReadStream(name)
	} else {
		length := req.Length
		if length == 0 || req.Offset+length > info.Size {
			length = info.Size - req.Offset
		}
		body, err = sess.c.ReadStreamRange(name, req.Offset, length)
	}
	if err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	return &download{body: body, sess: sess, ctx: ctx, name: name}, nil
}

// download reads one object; closing it lets the call's connection go.
type download struct {
	body io.ReadCloser
	sess *session
	ctx  context.Context
	name string
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	if err != nil && err != io.EOF {
		err = d.sess.fail(d.ctx, "download", d.name, err)
	}
	return n, err
}

func (d *download) Close() error {
	d.body.Close()
	return d.sess.Close()
}

// stat describes an object; a collection is not one.
func (sess *session) stat(name string) (storage.ObjectInfo, error) {
	fi, err := sess.c.Stat(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	if fi.IsDir() {
		return storage.ObjectInfo{}, notFound(name)
	}
	return storage.ObjectInfo{Name: name, Size: fi.Size(), Modified: fi.ModTime().UTC()}, nil
}

func (st *davstore) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
	prefix, err := storage.CleanPrefix(prefix)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	// A server that shows a PUT's resource before it is complete writes it
	// in place, so a live upload's time keeps moving: age alone tells a dead
	// one (storage.StaleTempAge). Most show it only once complete.
	sweep := &storage.TempSweeper{Logger: logger.With("folder", sess.s.shown), Remove: sess.c.Remove}
	// Walk only the deepest folder the prefix names whole.
	start := path.Dir(prefix + "x")
	if start == "." {
		start = ""
	}
	return sess.walk(ctx, start, prefix, fn, sweep, true)
}

// walk calls fn for every object under dir whose name starts with prefix,
// descending only into folders that can hold such names, and hands every
// temporary file it meets to sweep.
func (sess *session) walk(ctx context.Context, dir, prefix string, fn func(storage.ObjectInfo) error, sweep *storage.TempSweeper, top bool) error {
	entries, err := sess.c.ReadDir(dir)
	if err != nil {
		if status(err) == http.StatusNotFound && (!top || dir != "") {
			return nil // nothing stored under the prefix, or a folder just deleted
		}
		return sess.fail(ctx, "list", dir, err)
	}
	for _, fi := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := path.Join(dir, fi.Name())
		if fi.IsDir() {
			if strings.HasPrefix(rel+"/", prefix) || strings.HasPrefix(prefix, rel+"/") {
				if err := sess.walk(ctx, rel, prefix, fn, sweep, false); err != nil {
					return err
				}
			}
			continue
		}
		if storage.IsTemp(rel) {
			sweep.Sweep(rel, fi.ModTime())
			continue
		}
		if !strings.HasPrefix(rel, prefix) {
			continue
		}
		if err := fn(storage.ObjectInfo{Name: rel, Size: fi.Size(), Modified: fi.ModTime().UTC()}); err != nil {
			return err
		}
	}
	return nil
}

func (st *davstore) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	info, err := sess.stat(name)
	if err != nil {
		return storage.ObjectInfo{}, sess.fail(ctx, "stat", name, err)
	}
	return info, nil
}

// Delete removes the object. Emptied folders stay: see the package comment.
func (st *davstore) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	if _, err := sess.stat(name); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	if err := sess.c.Remove(name); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	return nil
}
