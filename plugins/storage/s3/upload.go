package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
)

// S3's limits on a multipart upload.
const (
	maxParts      = 10_000
	maxObjectSize = 5 << 40
)

// growEvery is how many parts are sent at one size before the size doubles.
// With 900, even the smallest first part (5 MiB) reaches 5 TiB within 10,000
// parts (about 9.3 TiB), while an object under 14 GiB never uses parts larger
// than the first: memory stays at one first-size part for everyday backups.
const growEvery = 900

// partSize is the size of part i (from 0) of an upload whose first parts
// are first bytes.
func partSize(first int64, i int) int64 {
	return min(first<<(i/growEvery), maxPartMiB<<20)
}

// abortWithin bounds the clean-up of a failed upload, which runs after the
// caller's context may have ended: a server that is down for longer than
// this is left to the bucket's lifecycle rule or to a later sweep (Test).
const abortWithin = 2 * time.Minute

func (s *s3store) Upload(ctx context.Context, cfg spec.Config, req storage.UploadRequest, r io.Reader) (storage.ObjectInfo, error) {
	name, err := storage.CleanName(req.Name)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	c, err := connect(cfg)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	opts, err := c.putOptions()
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	u := &upload{c: c, key: c.key(name), name: name, opts: opts}
	n, err := u.run(ctx, r, req.SizeHint)
	if err != nil {
		return storage.ObjectInfo{}, err
	}
	return storage.ObjectInfo{Name: name, Size: n}, nil
}

// upload is one object being written: a single PUT when it fits in one part,
// else a multipart upload that is completed only after the source ended
// cleanly, and aborted otherwise, so that no part is left stored (and billed).
type upload struct {
	c    *conn
	key  string
	name string
	opts minio.PutObjectOptions

	id    string // the multipart upload's, once started
	parts []minio.CompletePart
	// started, when set, learns the multipart upload's id: tests ask the
	// server about it after a failure.
	started func(id string)
	// abortWithin, when set, replaces the package's bound (tests).
	abortWithin time.Duration
}

// run streams r and returns how many bytes were stored.
func (u *upload) run(ctx context.Context, r io.Reader, hint int64) (n int64, err error) {
	defer func() {
		if err != nil && u.id != "" {
			if aerr := u.abort(ctx); aerr != nil {
				// The upload's own failure stays the one errors.Is sees.
				err = fmt.Errorf("%w; besides, %v", err, aerr)
			}
		}
	}()
	// A small object announced as such gets a buffer its size, not a part's:
	// many small uploads at once must not each hold a whole part.
	var buf []byte
	if hint >= 0 && hint < u.c.s.partSize {
		buf = make([]byte, 0, hint+1)
	}
	// The buffer counts against the process's memory limit while held.
	var held int64
	defer func() { partMemory.add(-held) }()
	for i := 0; ; i++ {
		size := partSize(u.c.s.partSize, i)
		var rerr error
		buf, rerr = readPart(r, buf, size)
		partMemory.add(int64(cap(buf)) - held)
		held = int64(cap(buf))
		if rerr != nil && rerr != io.EOF {
			return 0, fmt.Errorf("upload %s: reading the data to store: %w", u.name, rerr)
		}
		// The source ended cleanly; a cancelled caller still gets no object.
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("upload %s: %w", u.name, err)
		}
		last := rerr == io.EOF
		if i == 0 && last {
			return u.single(ctx, buf)
		}
		if n+int64(len(buf)) > maxObjectSize {
			return 0, fmt.Errorf("upload %s: the object exceeds S3's limit of 5 TiB: %w", u.name, spec.ErrNoSpace)
		}
		if len(buf) > 0 || i == 0 {
			if err := u.part(ctx, buf); err != nil {
				return 0, err
			}
			n += int64(len(buf))
		}
		if last {
			return n, u.complete(ctx)
		}
	}
}

// readPart reads from r into buf (reused, grown as needed) until it holds
// size bytes or r ends. It returns io.EOF with what it read when r ended.
func readPart(r io.Reader, buf []byte, size int64) ([]byte, error) {
	buf = buf[:0]
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			// Grow towards the part size only as data arrives.
			grown := make([]byte, len(buf), min(size, max(2*int64(cap(buf)), spec.ChunkSize)))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), size)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// single stores a small object with one PUT.
func (u *upload) single(ctx context.Context, data []byte) (int64, error) {
	sum := md5.Sum(data)
	_, err := u.c.core.PutObject(ctx, u.c.s.bucket, u.key, bytes.NewReader(data), int64(len(data)),
		base64.StdEncoding.EncodeToString(sum[:]), "", u.opts)
	if err != nil {
		return 0, u.c.fail(ctx, "upload", u.name, err)
	}
	return int64(len(data)), nil
}

// part sends one part, starting the multipart upload with the first.
func (u *upload) part(ctx context.Context, data []byte) error {
	if u.id == "" {
		id, err := u.c.core.NewMultipartUpload(ctx, u.c.s.bucket, u.key, u.opts)
		if err != nil {
			return u.c.fail(ctx, "upload", u.name, err)
		}
		u.id = id
		if u.started != nil {
			u.started(id)
		}
	}
	number := len(u.parts) + 1
	if number > maxParts {
		return fmt.Errorf("upload %s: more than S3's %d parts: %w", u.name, maxParts, spec.ErrNoSpace)
	}
	sum := md5.Sum(data)
	// A bytes.Reader can be rewound, so minio-go retries a failed part itself.
	p, err := u.c.core.PutObjectPart(ctx, u.c.s.bucket, u.key, u.id, number, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectPartOptions{Md5Base64: base64.StdEncoding.EncodeToString(sum[:])})
	if err != nil {
		return u.c.fail(ctx, fmt.Sprintf("upload part %d of", number), u.name, err)
	}
	u.parts = append(u.parts, minio.CompletePart{PartNumber: number, ETag: p.ETag})
	return nil
}

// complete makes the object appear under its name, whole.
func (u *upload) complete(ctx context.Context) error {
	if _, err := u.c.core.CompleteMultipartUpload(ctx, u.c.s.bucket, u.key, u.id, u.parts, u.opts); err != nil {
		return u.c.fail(ctx, "complete upload of", u.name, err)
	}
	u.id = "" // nothing left to abort
	return nil
}

// abort discards the parts sent, even when ctx has ended: that is usually
// why the upload failed. The server may be the reason too (down, restarting),
// so the abort is tried again with backoff for a bounded time. When it still
// fails, the error says which upload's parts may remain: a lifecycle rule for
// incomplete uploads, or the sweep Test makes (sweep.go), removes them.
func (u *upload) abort(ctx context.Context) error {
	within := u.abortWithin
	if within <= 0 {
		within = abortWithin
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), within)
	defer cancel()
	wait := time.Second
	var last error // the server's or the network's last word, not the bound's
	for {
		// minio-go retries a request a few times itself; this loop outlasts
		// a server that is away for longer than that.
		err := u.c.core.AbortMultipartUpload(actx, u.c.s.bucket, u.key, u.id)
		if err == nil || gone(err) {
			return nil
		}
		if last == nil || actx.Err() == nil {
			last = err
		}
		// A refusal (credentials without s3:AbortMultipartUpload, say) will
		// not change with waiting; an unreachable or failing server may.
		if actx.Err() == nil && storage.IsTransient(u.c.fail(actx, "abort", u.name, err)) {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
				wait = min(2*wait, 15*time.Second)
				continue
			case <-actx.Done():
				t.Stop()
			}
		}
		logger.Warn("could not abort an incomplete multipart upload; its parts stay stored until removed",
			"bucket", u.c.s.bucket, "key", u.key, "upload_id", u.id, "error", last)
		return fmt.Errorf("the parts already sent may remain stored in bucket %q under key %q, multipart upload id %s "+
			"(the abort failed, retried for up to %s: %v): a lifecycle rule for incomplete multipart uploads removes them, "+
			"and so does the destination's Test once it is %d days old", u.c.s.bucket, u.key, u.id, within, last, staleUploadAge/(24*time.Hour))
	}
}

// gone reports the server's answer that a multipart upload does not exist
// (any more): aborted, completed, expired, or lost in a restart.
func gone(err error) bool {
	resp := minio.ToErrorResponse(err)
	return resp.Code == "NoSuchUpload" || (resp.Code == "" && resp.StatusCode == http.StatusNotFound)
}
