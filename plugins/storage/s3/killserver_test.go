package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// TestServerKilledMidUpload: the S3 server dies (SIGKILL) while a large
// object is going up in parts, and comes back on the same data: either
// after the upload gave up, or while the client is still retrying a part.
// The upload fails with an error that names the object; once the server is
// back, no object exists under the final name (on the wire or on the
// server's disk) and the multipart upload is no longer open.
//
// Each case runs a server of its own (rclone serve s3 on a free port, on a
// folder of its own), because it kills it.
func TestServerKilledMidUpload(t *testing.T) {
	t.Parallel()
	t.Run("back-after-the-upload-failed", func(t *testing.T) {
		t.Parallel()
		killMidUpload(t, false)
	})
	t.Run("back-while-retrying", func(t *testing.T) {
		t.Parallel()
		killMidUpload(t, true)
	})
}

func killMidUpload(t *testing.T, backAtOnce bool) {
	srv := startRcloneS3(t)
	bucket := "dbkeep-killed"
	if err := os.Mkdir(filepath.Join(srv.dir, bucket), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := spec.Config{
		"provider": "other", "endpoint": "http://" + srv.addr, "path-style": "true",
		"bucket": bucket, "prefix": "dbkeep/backups",
		"access-key": srv.access, "secret-key": srv.secret,
		"part-size-mib": "5",
	}
	c, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan string, 1)
	u := &upload{c: c, key: c.key("job/set/big.sql"), name: "job/set/big.sql", started: func(id string) { started <- id },
		// The abort is retried while the server is away; a short bound
		// keeps the test short and still lets it see the abort give up.
		abortWithin: 3 * time.Second}
	done := make(chan error, 1)
	go func() {
		// 256 MiB announced as unknown: a dump streaming in.
		_, err := u.run(t.Context(), io.LimitReader(pattern{}, 256<<20), -1)
		done <- err
	}()

	// Kill the server once three parts are stored: mid-upload, for sure.
	var id string
	select {
	case id = <-started:
	case err := <-done:
		t.Fatalf("the upload ended before a multipart upload started: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no multipart upload started within 30s")
	}
	admin := srv.client(t)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n, err := (&minio.Core{Client: admin}).ListObjectParts(t.Context(), bucket, u.key, id, 0, 1000); err == nil && len(n.ObjectParts) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("three parts were not stored within 30s")
		}
	}
	srv.kill(t)
	if backAtOnce {
		// The client retries a failed part for a few seconds: the server
		// is back within them, but it lost the upload with its memory.
		srv.start(t)
	}

	var uerr error
	select {
	case uerr = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the upload did not fail within 2 minutes of the server's death")
	}
	t.Logf("upload with the server killed: %v", uerr)
	if uerr == nil || !strings.Contains(uerr.Error(), "job/set/big.sql") {
		t.Errorf("upload with the server killed: %v; want an error naming the object", uerr)
	}
	if backAtOnce {
		// The server answers the next part with NoSuchUpload: said in
		// words, and unavailable, since storing the object again may work.
		if !errors.Is(uerr, spec.ErrUnavailable) || !strings.Contains(uerr.Error(), "multipart upload was lost by the server") {
			t.Errorf("upload with the server back: %v; want it to say the server lost the multipart upload (%q)", uerr, spec.ErrUnavailable)
		}
		if strings.Contains(uerr.Error(), "may remain") {
			t.Errorf("upload with the server back: %v; the upload is gone, no parts can remain", uerr)
		}
	} else {
		if !errors.Is(uerr, spec.ErrUnavailable) || !strings.Contains(uerr.Error(), "cannot be reached") {
			t.Errorf("upload with the server killed: %v; want it to say the service cannot be reached (%q)", uerr, spec.ErrUnavailable)
		}
		// The abort could not reach the server either, within its bound:
		// the error says which upload's parts may be left.
		for _, w := range []string{"may remain", id, "lifecycle rule"} {
			if !strings.Contains(uerr.Error(), w) {
				t.Errorf("upload with the server killed: %v; does not say %q", uerr, w)
			}
		}
		srv.start(t)
	}
	admin = srv.client(t)
	if _, err := admin.StatObject(t.Context(), bucket, u.key, minio.StatObjectOptions{}); minio.ToErrorResponse(err).StatusCode != 404 {
		t.Errorf("object under the final name after the restart: %v, want none", err)
	}
	if _, err := (&minio.Core{Client: admin}).ListObjectParts(t.Context(), bucket, u.key, id, 0, 1000); minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		t.Errorf("the multipart upload is still open after the restart: %v", err)
	}
	// The plugin's own view agrees, and nothing was left on the server's disk.
	if _, err := start(t).Stat(t.Context(), cfg, "job/set/big.sql"); !errors.Is(err, spec.ErrNotFound) {
		t.Errorf("stat through the plugin after the restart: %v, want not found", err)
	}
	filepath.WalkDir(filepath.Join(srv.dir, bucket), func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || d.IsDir():
		case d.Name() == "big.sql":
			t.Errorf("the object is in the server's folder: %s", p)
		default:
			// rclone keeps the parts of a multipart upload in a file of
			// its own, which it forgets when killed: the server's leak,
			// invisible through S3, and out of any client's reach.
			t.Logf("left in the server's folder by the server: %s", p)
		}
		return nil
	})
	var listed []string
	if err := start(t).List(t.Context(), cfg, "", func(o storage.ObjectInfo) error { listed = append(listed, o.Name); return nil }); err != nil || len(listed) > 0 {
		t.Errorf("list after the restart: %q, %v; want nothing", listed, err)
	}
}

// pattern yields the same 251 bytes over and over: incompressible enough,
// and free to make.
type pattern struct{}

func (pattern) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i % 251)
	}
	return len(p), nil
}

// rcloneS3 is an S3 server of the test's own: rclone serve s3 on a folder.
type rcloneS3 struct {
	bin, dir, addr, access, secret string
	cmd                            *exec.Cmd
	exited                         chan struct{}
}

// startRcloneS3 starts rclone serve s3 on a fresh folder and a free
// loopback port, and stops it when the test ends.
func startRcloneS3(t *testing.T) *rcloneS3 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	srv := &rcloneS3{bin: rcloneBinary(t), dir: t.TempDir(), addr: addr, access: "dbkeep", secret: "dbkeep-killed-secret"}
	srv.start(t)
	t.Cleanup(func() {
		if srv.cmd != nil && srv.cmd.ProcessState == nil {
			srv.cmd.Process.Kill()
			<-srv.exited
		}
	})
	return srv
}

// start runs the server on its folder and port, and waits until it answers.
func (srv *rcloneS3) start(t *testing.T) {
	t.Helper()
	srv.cmd = exec.Command(srv.bin, "serve", "s3", srv.dir, "--addr", srv.addr)
	// The key pair travels in the environment, never on a command line;
	// rclone reads a list flag from the environment as CSV, hence the quotes.
	srv.cmd.Env = append(os.Environ(),
		`RCLONE_AUTH_KEY="`+srv.access+","+srv.secret+`"`,
		"RCLONE_CONFIG="+filepath.Join(srv.dir, "no-rclone.conf"))
	log, err := os.Create(filepath.Join(t.TempDir(), "rclone.log"))
	if err != nil {
		t.Fatal(err)
	}
	srv.cmd.Stdout, srv.cmd.Stderr = log, log
	if err := srv.cmd.Start(); err != nil {
		t.Fatalf("start rclone serve s3: %v", err)
	}
	exited := make(chan struct{})
	srv.exited = exited
	go func() { srv.cmd.Wait(); log.Close(); close(exited) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", srv.addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("rclone serve s3 exited: %s", b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("rclone serve s3 did not answer on %s within 20s", srv.addr)
		}
	}
}

// kill ends the server at once, as a crash or a pulled plug would.
func (srv *rcloneS3) kill(t *testing.T) {
	t.Helper()
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
}

func (srv *rcloneS3) client(t *testing.T) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.addr, &minio.Options{
		Creds:  credentials.NewStaticV4(srv.access, srv.secret, ""),
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rcloneBinary finds an rclone that serves S3: DBKEEP_TEST_RCLONE, the one
// make test-services builds into the repository's .tools, or one on PATH
// (Debian's is too old to serve S3, so it is checked).
func rcloneBinary(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p := os.Getenv("DBKEEP_TEST_RCLONE"); p != "" {
		candidates = append(candidates, p)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			candidates = append(candidates, filepath.Join(dir, ".tools", "rclone"))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p, err := exec.LookPath("rclone"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		err := exec.CommandContext(ctx, p, "serve", "s3", "--help").Run()
		cancel()
		if err == nil {
			return p
		}
	}
	msg := "no rclone that serves S3 for this test: run make test-services (it builds one into .tools/), or set DBKEEP_TEST_RCLONE"
	if testserver.CI() {
		t.Fatal("CI=true: " + msg)
	}
	t.Skip(msg)
	return ""
}
