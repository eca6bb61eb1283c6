package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dbkeep/dbkeep/sdk/host"
	"github.com/dbkeep/dbkeep/sdk/sdktest"
	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/storagetest"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// server is a real S3 service for the tests, from DBKEEP_TEST_S3_URL
// (http://KEY:SECRET@HOST:PORT; make test-services runs rclone serve s3).
type server struct {
	endpoint, access, secret string
	admin                    *minio.Client
}

func s3Server(t *testing.T) server {
	t.Helper()
	raw := testserver.Resolve(t, testserver.Server{Name: "S3", Env: "DBKEEP_TEST_S3_URL"})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("DBKEEP_TEST_S3_URL %q: want http://KEY:SECRET@HOST:PORT", raw)
	}
	secret, _ := u.User.Password()
	srv := server{endpoint: u.Scheme + "://" + u.Host, access: u.User.Username(), secret: secret}
	srv.admin, err = minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(srv.access, srv.secret, ""), Secure: u.Scheme == "https",
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// bucket makes a bucket of its own for the test and removes it, with
// whatever is left in it, at the end.
func (srv server) bucket(t *testing.T) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "dbkeep-test-" + hex.EncodeToString(b[:])
	if err := srv.admin.MakeBucket(t.Context(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A call the client gave up on (a failed source, a cancel) returns at
		// once, while the plugin may still be aborting its multipart upload:
		// sweep until the bucket can go, for a bounded time.
		var err error
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			for o := range srv.admin.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
				if o.Err == nil {
					srv.admin.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
				}
			}
			core := minio.Core{Client: srv.admin}
			if res, err := core.ListMultipartUploads(ctx, name, "", "", "", "", 1000); err == nil {
				for _, u := range res.Uploads {
					core.AbortMultipartUpload(ctx, name, u.Key, u.UploadID)
				}
			}
			if err = srv.admin.RemoveBucket(ctx, name); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Errorf("remove bucket %s: %v", name, err)
		}
	})
	return name
}

// config points the plugin at bucket under a prefix, with the smallest parts
// S3 allows so that every multipart path runs with many parts.
func (srv server) config(bucket string) spec.Config {
	return spec.Config{
		"provider": "other", "endpoint": srv.endpoint, "path-style": "true",
		"bucket": bucket, "prefix": "dbkeep/backups",
		"access-key": srv.access, "secret-key": srv.secret,
		"part-size-mib": "5",
	}
}

func TestConformance(t *testing.T) {
	srv := s3Server(t)
	valid := srv.config(srv.bucket(t))
	with := func(k, v string) spec.Config {
		c := spec.Config{}
		for kk, vv := range valid {
			c[kk] = vv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	storagetest.Run(t, storagetest.Options{
		Plugin: plugin(),
		Config: valid,
		InvalidConfigs: []storagetest.InvalidConfig{
			{Name: "missing-bucket", Config: with("bucket", ""), Fields: []string{"bucket"}},
			{Name: "bucket-with-slash", Config: with("bucket", "a/b"), Fields: []string{"bucket"}},
			{Name: "missing-secret", Config: with("secret-key", ""), Fields: []string{"secret-key"}},
			{Name: "endpoint-with-path", Config: with("endpoint", "http://127.0.0.1:1/bucket"), Fields: []string{"endpoint"}},
			{Name: "endpoint-scheme", Config: with("endpoint", "ftp://example.com"), Fields: []string{"endpoint"}},
			{Name: "other-without-endpoint", Config: with("endpoint", ""), Fields: []string{"endpoint"}},
			{Name: "b2-without-region", Config: spec.Config{"provider": "b2", "bucket": "b", "access-key": "k", "secret-key": "s"}, Fields: []string{"region"}},
			{Name: "r2-without-account", Config: spec.Config{"provider": "r2", "bucket": "b", "access-key": "k", "secret-key": "s"}, Fields: []string{"account-id"}},
			{Name: "prefix-escapes", Config: with("prefix", "a/../../b"), Fields: []string{"prefix"}},
			{Name: "part-too-small", Config: with("part-size-mib", "4"), Fields: []string{"part-size-mib"}},
			{Name: "part-too-large", Config: with("part-size-mib", "5121"), Fields: []string{"part-size-mib"}},
			{Name: "sse-unknown", Config: with("sse", "rot13"), Fields: []string{"sse"}},
			{Name: "kms-key-without-kms", Config: with("kms-key-id", "k"), Fields: []string{"kms-key-id"}},
			{Name: "unknown-field", Config: with("colour", "red"), Fields: []string{"colour"}},
		},
	})
}

// start serves the plugin through the real boundary.
func start(t *testing.T) host.StorageClient {
	t.Helper()
	return sdktest.Start(t, plugin()).Storage()
}

func wantIs(t *testing.T, what string, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: got %v, want an error matching %q", what, err, sentinel)
	}
}

func wantText(t *testing.T, what string, err error, words ...string) {
	t.Helper()
	for _, w := range words {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %v does not say %q", what, err, w)
		}
	}
}

func TestWrongCredentials(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	st := start(t)
	bucket := srv.bucket(t)

	cfg := srv.config(bucket)
	cfg["secret-key"] = "not-the-secret"
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test with a wrong secret", err, spec.ErrUnauthenticated)
	wantText(t, "test with a wrong secret", err, "secret access key is wrong", srv.access)

	cfg = srv.config(bucket)
	cfg["access-key"] = "nobody"
	_, err = st.Test(t.Context(), cfg)
	wantIs(t, "test with an unknown access key", err, spec.ErrUnauthenticated)
	wantText(t, "test with an unknown access key", err, `"nobody"`)

	// A HEAD request carries no error code: Stat must still say it.
	_, err = st.Stat(t.Context(), cfg, "x")
	if !errors.Is(err, spec.ErrUnauthenticated) && !errors.Is(err, spec.ErrPermission) {
		t.Errorf("stat with an unknown access key: %v, want spec.ErrUnauthenticated or spec.ErrPermission", err)
	}
}

func TestMissingBucket(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	st := start(t)
	cfg := srv.config("dbkeep-test-no-such-bucket")
	_, err := st.Test(t.Context(), cfg)
	wantIs(t, "test on a missing bucket", err, spec.ErrNotFound)
	wantText(t, "test on a missing bucket", err, `bucket "dbkeep-test-no-such-bucket" does not exist`)
	err = st.List(t.Context(), cfg, "", func(storage.ObjectInfo) error { return nil })
	wantIs(t, "list in a missing bucket", err, spec.ErrNotFound)
	wantText(t, "list in a missing bucket", err, "dbkeep-test-no-such-bucket")
	_, err = st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "a", SizeHint: 1}, strings.NewReader("a"))
	wantIs(t, "upload to a missing bucket", err, spec.ErrNotFound)
	if ok, _ := srv.admin.BucketExists(t.Context(), "dbkeep-test-no-such-bucket"); ok {
		t.Error("the plugin created the missing bucket")
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := srv.config("any")
	cfg["endpoint"] = "http://" + addr
	_, err = start(t).Test(t.Context(), cfg)
	wantIs(t, "test on a closed port", err, spec.ErrUnavailable)
	wantText(t, "test on a closed port", err, addr)
}

// failAfter yields n bytes of zeros, then fails.
type failAfter struct {
	n   int64
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, f.err
	}
	p = p[:min(int64(len(p)), f.n)]
	clear(p)
	f.n -= int64(len(p))
	return len(p), nil
}

// partsOf lists the parts stored for multipart upload id of key, or fails
// with S3's NoSuchUpload once the upload is completed or aborted. Asking by
// id works on every server; ListMultipartUploads is not implemented fully by
// rclone (it does not look below the top folder).
func (srv server) partsOf(t *testing.T, bucket, key, id string) (int, error) {
	t.Helper()
	res, err := (&minio.Core{Client: srv.admin}).ListObjectParts(t.Context(), bucket, key, id, 0, 1000)
	return len(res.ObjectParts), err
}

// TestFailedMultipartIsAborted: an upload that dies after parts were stored,
// by a failing source or a cancelled caller, aborts its multipart upload
// (its parts would stay stored and billed) and leaves no object. The upload
// runs in-process so that its upload id can be asked about afterwards.
func TestFailedMultipartIsAborted(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	bucket := srv.bucket(t)
	c, err := connect(srv.config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	broken := errors.New("the dump broke")
	slow, release := io.Pipe()
	for _, tc := range []struct {
		label  string
		source io.Reader
		cancel bool
		want   error
	}{
		// Three 5 MiB parts are stored before the source fails.
		{"failing-source", &failAfter{n: 17 << 20, err: broken}, false, broken},
		// Two parts are stored, then the source stalls until the caller gives up.
		{"cancelled", io.MultiReader(&failAfter{n: 11 << 20, err: io.EOF}, slow), true, context.Canceled},
	} {
		t.Run(tc.label, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			started := make(chan string, 1)
			u := &upload{c: c, key: c.key(tc.label), name: tc.label, started: func(id string) { started <- id }}
			done := make(chan error, 1)
			go func() {
				_, err := u.run(ctx, tc.source, -1)
				done <- err
			}()
			if tc.cancel {
				// Parts 1 and 2 are stored, then the source stalls.
				id := <-started
				deadline := time.Now().Add(10 * time.Second)
				for {
					if n, err := srv.partsOf(t, bucket, c.key(tc.label), id); err == nil && n == 2 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("two parts were not stored within 10s")
					}
					time.Sleep(20 * time.Millisecond)
				}
				cancel()
				// The SDK's reader fails so when the caller cancels.
				release.CloseWithError(context.Canceled)
			}
			err := <-done
			wantIs(t, "upload", err, tc.want)
			if u.id == "" {
				t.Fatal("no multipart upload was started")
			}
			n, err := srv.partsOf(t, bucket, u.key, u.id)
			if code := minio.ToErrorResponse(err).Code; code != "NoSuchUpload" {
				t.Errorf("after the failed upload, its multipart upload still holds %d parts (%v)", n, err)
			}
			if _, err := srv.admin.StatObject(t.Context(), bucket, u.key, minio.StatObjectOptions{}); minio.ToErrorResponse(err).StatusCode != 404 {
				t.Errorf("object after the failed upload: %v, want none", err)
			}
		})
	}
}

// TestBigUploadGoesInParts: an upload of unknown size larger than a part is
// a multipart upload, whose object has the bytes sent, under the prefix.
func TestBigUploadGoesInParts(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	bucket := srv.bucket(t)
	c, err := connect(srv.config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), (11<<20)/16+3)
	u := &upload{c: c, key: c.key("big.bin"), name: "big.bin"}
	if n, err := u.run(t.Context(), bytes.NewReader(data), -1); err != nil || n != int64(len(data)) {
		t.Fatalf("upload: %d bytes, %v", n, err)
	}
	if len(u.parts) != 3 {
		t.Errorf("%d bytes went in %d parts of 5 MiB; want 3", len(data), len(u.parts))
	}
	obj, err := srv.admin.GetObject(t.Context(), bucket, "dbkeep/backups/big.bin", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("stored %d bytes differing from the %d sent", len(got), len(data))
	}
}

// TestFailedOverwriteKeepsThePreviousObject: S3 replaces an object only when
// the new one completes.
func TestFailedOverwriteKeepsThePreviousObject(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	st := start(t)
	cfg := srv.config(srv.bucket(t))
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: 3}, strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "db.sql", SizeHint: -1}, &failAfter{n: 11 << 20, err: errors.New("broke")}); err == nil {
		t.Fatal("upload from a failing source succeeded")
	}
	rc, err := st.Download(t.Context(), cfg, storage.DownloadRequest{Name: "db.sql"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, err := io.ReadAll(rc); err != nil || string(b) != "old" {
		t.Errorf("after a failed overwrite the object holds %q, %v; want the previous object", b, err)
	}
}

// TestPrefixConfinesTheView: objects beside the prefix are neither listed
// nor reachable, and the probe of Test leaves nothing.
func TestPrefixConfinesTheView(t *testing.T) {
	t.Parallel()
	srv := s3Server(t)
	st := start(t)
	bucket := srv.bucket(t)
	cfg := srv.config(bucket)
	for _, key := range []string{"outside.bin", "dbkeep/backupsX/near.bin", "dbkeep/backups/.dbkeep-tmp-probe-crashed", "dbkeep/backups/folder/"} {
		if _, err := srv.admin.PutObject(t.Context(), bucket, key, strings.NewReader(""), 0, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Upload(t.Context(), cfg, storage.UploadRequest{Name: "inside.bin", SizeHint: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Test(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	var listed []string
	if err := st.List(t.Context(), cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"inside.bin"}, listed); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	_, err := st.Stat(t.Context(), cfg, ".dbkeep-tmp-probe-crashed")
	wantIs(t, "stat of a reserved name", err, spec.ErrInvalidArgument)
}
