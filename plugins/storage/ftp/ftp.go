package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"path"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/dbkeep/dbkeep/sdk"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// cleanupTimeout bounds removing a temporary file after a failed upload,
// which may need a new connection when the caller's context has ended.
const cleanupTimeout = 30 * time.Second

// logger reaches the core's log.
var logger = sdk.Logger()

// ftpstore is the storage; it keeps no state, everything comes with cfg.
type ftpstore struct{}

var (
	_ storage.Storage      = (*ftpstore)(nil)
	_ spec.ConfigValidator = (*ftpstore)(nil)
)

// Test writes and removes a probe file: logging in alone would pass with
// read-only credentials, and backups need write and delete.
func (st *ftpstore) Test(ctx context.Context, cfg spec.Config) (string, error) {
	sess, err := connect(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer sess.Close()
	probe := storage.TempName()
	if err := sess.c.Stor(probe, strings.NewReader("dbkeep write probe\n")); err != nil {
		sess.c.Delete(probe)
		return "", sess.fail(ctx, "write a probe file to", "", err)
	}
	if err := sess.c.Delete(probe); err != nil {
		return "", sess.fail(ctx, "remove the probe file from", "", err)
	}
	security := "unencrypted (no TLS)"
	switch {
	case sess.s.tlsMode != tlsNone && sess.s.tls.InsecureSkipVerify:
		security = sess.s.tlsMode + " TLS, certificate NOT verified"
	case sess.s.tlsMode != tlsNone:
		security = sess.s.tlsMode + " TLS, certificate verified"
	}
	return fmt.Sprintf("writable: folder %s; %s", sess.s.where(), security), nil
}

func (st *ftpstore) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	dir := dirOf(name)
	tmp := path.Join(dir, storage.TempName())
	counted := &countingReader{r: r}
	// A concurrent Delete may remove the folder, empty, between making it
	// and storing the temporary file: make it again and retry.
	var mkErr error
	for attempt := 0; ; attempt++ {
		mkErr = sess.mkdirAll(dir)
		err = sess.c.Stor(tmp, counted)
		if err != nil && counted.n == 0 && counted.err == nil && isUnavailable(err) && attempt < 3 && ctx.Err() == nil {
			continue
		}
		break
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
		var reply *textproto.Error
		if errors.As(mkErr, &reply) && deniedWords(reply.Msg) {
			// The folder could not be made: that is why STOR failed.
			err = mkErr
		}
		return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
	}
	if err := sess.replace(tmp, name); err != nil {
		sess.discard(ctx, cfg, tmp)
		return storage.ObjectInfo{}, sess.fail(ctx, "upload", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: counted.n}, nil
}

// isUnavailable reports a 550 reply: for STOR, a folder that went missing.
func isUnavailable(err error) bool {
	var reply *textproto.Error
	return errors.As(err, &reply) && reply.Code == ftp.StatusFileUnavailable
}

// mkdirAll makes dir and its parents inside the folder, and returns the
// error of the last folder it could not make. That error is only news when
// the upload then fails: most mean "exists".
func (sess *session) mkdirAll(dir string) error {
	if dir == "" {
		return nil
	}
	var last error
	elems := strings.Split(dir, "/")
	for i := range elems {
		last = sess.c.MakeDir(strings.Join(elems[:i+1], "/"))
	}
	return last
}

// countingReader counts what passes and keeps the source's own error, which
// the transfer may report in its words.
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

// replace renames tmp over final. Most servers replace the target as
// rename(2) does; one that refuses an existing target gets it removed first:
// for that moment neither is under final (the new object is whole under its
// temporary name, invisible to List).
func (sess *session) replace(tmp, final string) error {
	err := sess.c.Rename(tmp, final)
	if err == nil {
		return nil
	}
	if _, serr := sess.entry(final); serr != nil {
		return err
	}
	if err := sess.c.Delete(final); err != nil {
		return err
	}
	return sess.c.Rename(tmp, final)
}

// discard removes the temporary file of a failed upload. When the
// connection is gone (cancelled, dropped), a new one does it. A server may
// still be closing the aborted file when the DELETE arrives, and then keep
// it: so discard looks again a moment later, a few times.
func (sess *session) discard(ctx context.Context, cfg spec.Config, tmp string) {
	if ctx.Err() == nil && sess.removeGone(tmp) {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := connect(cctx, cfg)
	if err == nil {
		defer fresh.Close()
		if fresh.removeGone(tmp) {
			return
		}
		err = fmt.Errorf("it is still there after %d attempts", discardChecks)
	}
	storage.WarnTempLeft(logger, tmp, err)
}

// discardChecks and discardPause bound how long discard waits for a server
// finishing an aborted STOR.
const (
	discardChecks = 5
	discardPause  = 300 * time.Millisecond
)

// removeGone deletes tmp until a look after a pause finds it gone.
func (sess *session) removeGone(tmp string) bool {
	for range discardChecks {
		if err := sess.c.Delete(tmp); err != nil && !isUnavailable(err) {
			return false
		}
		time.Sleep(discardPause)
		if _, err := sess.entry(tmp); isUnavailable(err) {
			return true
		} else if err != nil {
			return false
		}
	}
	return false
}

// entry describes a clean object name, following the folder listing: LIST
// and MLSD are what every server has (MLST and SIZE are not).
func (sess *session) entry(name string) (*ftp.Entry, error) {
	entries, err := sess.c.List(dirOf(name))
	if err != nil {
		return nil, err
	}
	base := path.Base(name)
	for _, e := range entries {
		if path.Base(e.Name) == base && e.Type == ftp.EntryTypeFile {
			return e, nil
		}
	}
	return nil, &textproto.Error{Code: ftp.StatusFileUnavailable, Msg: "no such file"}
}

func (st *ftpstore) Download(ctx context.Context, cfg spec.Config, req storage.DownloadRequest) (io.ReadCloser, error) {
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
	e, err := sess.entry(name)
	if err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	if req.Offset >= int64(e.Size) {
		sess.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	resp, err := sess.c.RetrFrom(name, uint64(req.Offset))
	if err != nil {
		sess.Close()
		return nil, sess.fail(ctx, "download", name, err)
	}
	var r io.Reader = resp
	if req.Length > 0 {
		r = io.LimitReader(resp, req.Length)
	}
	return &download{r: r, resp: resp, sess: sess, ctx: ctx, name: name}, nil
}

// download reads one file; closing it ends the call's connections.
type download struct {
	r    io.Reader
	resp *ftp.Response
	sess *session
	ctx  context.Context
	name string
}

func (d *download) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = d.sess.fail(d.ctx, "download", d.name, err)
	}
	return n, err
}

func (d *download) Close() error {
	// A ranged read stops early: the server answers 426 to the closed data
	// connection, which is no news.
	d.resp.Close()
	return d.sess.Close()
}

func (st *ftpstore) List(ctx context.Context, cfg spec.Config, prefix string, fn func(storage.ObjectInfo) error) error {
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
	sweep := &storage.TempSweeper{Logger: logger.With("folder", sess.s.where()), Remove: sess.c.Delete}
	// Walk only the deepest folder the prefix names whole.
	start := dirOf(prefix + "x")
	err = sess.walk(ctx, start, prefix, fn, sweep)
	if isUnavailable(err) && start != "" {
		return nil // nothing stored under the prefix
	}
	return err
}

// walk calls fn for every file under dir whose name starts with prefix,
// descending only into folders that can hold such names, and hands every
// temporary file it meets to sweep. Links are skipped: a listing does not
// say whether one leads to a file or a folder.
func (sess *session) walk(ctx context.Context, dir, prefix string, fn func(storage.ObjectInfo) error, sweep *storage.TempSweeper) error {
	entries, err := sess.c.List(dir)
	if err != nil {
		if isUnavailable(err) {
			return err
		}
		return sess.fail(ctx, "list", dir, err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		base := path.Base(e.Name)
		if base == "." || base == ".." {
			continue
		}
		rel := path.Join(dir, base)
		switch e.Type {
		case ftp.EntryTypeFolder:
			if strings.HasPrefix(rel+"/", prefix) || strings.HasPrefix(prefix, rel+"/") {
				if err := sess.walk(ctx, rel, prefix, fn, sweep); err != nil && !isUnavailable(err) {
					return err
				}
			}
		case ftp.EntryTypeFile:
			if storage.IsTemp(rel) {
				sweep.Sweep(rel, e.Time)
				continue
			}
			if !strings.HasPrefix(rel, prefix) {
				continue
			}
			if err := fn(storage.ObjectInfo{Name: rel, Size: int64(e.Size), Modified: e.Time.UTC()}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (st *ftpstore) Stat(ctx context.Context, cfg spec.Config, name string) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	defer sess.Close()
	e, err := sess.entry(name)
	if err != nil {
		return storage.ObjectInfo{}, sess.fail(ctx, "stat", name, err)
	}
	return storage.ObjectInfo{Name: name, Size: int64(e.Size), Modified: e.Time.UTC()}, nil
}

// Delete removes the file and the folders it leaves empty, so pruned backup
// sets leave no trail of empty folders. The folder itself stays.
func (st *ftpstore) Delete(ctx context.Context, cfg spec.Config, name string) error {
	name, err := storage.CleanName(name)
	if err != nil {
		return err
	}
	sess, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer sess.Close()
	if _, err := sess.entry(name); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	if err := sess.c.Delete(name); err != nil {
		return sess.fail(ctx, "delete", name, err)
	}
	for dir := dirOf(name); dir != "" && sess.removeIfEmpty(dir); dir = dirOf(dir) {
	}
	return nil
}

// removeIfEmpty removes dir when it holds nothing. The listing comes first
// because some servers' RMD removes a folder with everything in it (the
// goftp file driver does), where RFC 959 servers refuse a folder that is not
// empty.
func (sess *session) removeIfEmpty(dir string) bool {
	entries, err := sess.c.List(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if b := path.Base(e.Name); b != "." && b != ".." {
			return false
		}
	}
	return sess.c.RemoveDir(dir) == nil
}
