package benchmarks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/dbkeep/dbkeep/sdk/spec"
	"github.com/dbkeep/dbkeep/sdk/storage"
	"github.com/dbkeep/dbkeep/sdk/testserver"
)

// storageBenchSize is what each protocol moves per operation; the
// DBKEEP_BENCH_STORAGE_MIB environment variable changes it.
const storageBenchSize = 256 << 20

// BenchmarkStoragePlugins uploads and then downloads one object through each
// first-party storage plugin, built and started as the core starts it (its
// own process, go-plugin over gRPC with mTLS), against the real local
// servers make test-services runs. Besides MB/s it reports the plugin
// process's peak resident memory (VmHWM) during each operation.
func BenchmarkStoragePlugins(b *testing.B) {
	size := int64(storageBenchSize)
	if v := os.Getenv("DBKEEP_BENCH_STORAGE_MIB"); v != "" {
		mib, err := strconv.ParseInt(v, 10, 64)
		if err != nil || mib <= 0 {
			b.Fatalf("DBKEEP_BENCH_STORAGE_MIB=%q: want a positive number of MiB", v)
		}
		size = mib << 20
	}
	for _, p := range []struct {
		name   string
		config func(b *testing.B) spec.Config
	}{
		{"local", localConfig},
		{"s3", s3Config},
		{"sftp", sftpConfig},
		{"ftp", ftpConfig},
		{"webdav", webdavConfig},
		{"smb", smbConfig},
	} {
		b.Run(p.name, func(b *testing.B) {
			cfg := p.config(b)
			st, pid := startStorage(b, p.name)
			ctx := context.Background()
			name := "dbkeep-bench-" + randomHex(6) + ".bin"
			b.Cleanup(func() { st.Delete(context.Background(), cfg, name) })
			b.Run("upload", func(b *testing.B) {
				b.SetBytes(size)
				resetPeakRSS(b, pid)
				for range b.N {
					info, err := st.Upload(ctx, cfg, storage.UploadRequest{Name: name, SizeHint: -1}, io.LimitReader(newGenerator(), size))
					if err != nil || info.Size != size {
						b.Fatalf("upload: %+v, %v", info, err)
					}
				}
				b.ReportMetric(peakRSSMiB(b, pid), "plugin-peak-RSS-MiB")
			})
			b.Run("download", func(b *testing.B) {
				b.SetBytes(size)
				resetPeakRSS(b, pid)
				for range b.N {
					rc, err := st.Download(ctx, cfg, storage.DownloadRequest{Name: name})
					if err != nil {
						b.Fatal(err)
					}
					n, err := io.Copy(io.Discard, rc)
					rc.Close()
					if err != nil || n != size {
						b.Fatalf("download: %d of %d bytes, %v", n, size, err)
					}
				}
				b.ReportMetric(peakRSSMiB(b, pid), "plugin-peak-RSS-MiB")
			})
		})
	}
}

// BenchmarkS3UploadMemory streams a large object (2 GiB; the
// DBKEEP_BENCH_S3_GIB variable changes it) from a generator through the S3
// plugin with its default part size, and reports the plugin process's peak
// resident memory: the goal is under 64 MiB whatever the object's size.
func BenchmarkS3UploadMemory(b *testing.B) {
	size := int64(2 << 30)
	if v := os.Getenv("DBKEEP_BENCH_S3_GIB"); v != "" {
		gib, err := strconv.ParseInt(v, 10, 64)
		if err != nil || gib <= 0 {
			b.Fatalf("DBKEEP_BENCH_S3_GIB=%q: want a positive number of GiB", v)
		}
		size = gib << 30
	}
	cfg := s3Config(b)
	delete(cfg, "part-size-mib") // the default, as users run it
	st, pid := startStorage(b, "s3")
	name := "dbkeep-bench-" + randomHex(6) + ".bin"
	b.Cleanup(func() { st.Delete(context.Background(), cfg, name) })
	b.SetBytes(size)
	resetPeakRSS(b, pid)
	for range b.N {
		info, err := st.Upload(context.Background(), cfg, storage.UploadRequest{Name: name, SizeHint: -1}, io.LimitReader(newGenerator(), size))
		if err != nil || info.Size != size {
			b.Fatalf("upload: %+v, %v", info, err)
		}
	}
	b.ReportMetric(peakRSSMiB(b, pid), "plugin-peak-RSS-MiB")
}

// startStorage builds and starts plugins/storage/<name>.
func startStorage(b *testing.B, name string) (storage.Storage, int) {
	b.Helper()
	conn, pid := start(b, b.TempDir(), "github.com/dbkeep/dbkeep/plugins/storage/"+name, true)
	return conn.Storage(), pid
}

// resetPeakRSS makes the kernel forget the process's peak resident memory
// (Linux: writing 5 to clear_refs), so that VmHWM covers what follows only.
func resetPeakRSS(b *testing.B, pid int) {
	b.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		b.Logf("cannot reset the plugin's peak memory (%v): the figure covers the process's whole life", err)
	}
}

// peakRSSMiB reads the process's peak resident memory (VmHWM) in MiB.
func peakRSSMiB(b *testing.B, pid int) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			if err != nil {
				b.Fatalf("VmHWM %q: %v", v, err)
			}
			return kib / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// generator yields a random 1 MiB block over and over: data that does not
// compress, made at memory speed, without a file.
type generator struct {
	block []byte
	off   int
}

func newGenerator() *generator {
	g := &generator{block: make([]byte, 1<<20)}
	rand.Read(g.block)
	return g
}

func (g *generator) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], g.block[g.off:])
		n += k
		g.off = (g.off + k) % len(g.block)
	}
	return n, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// server resolves a test server's URL as the tests do (make test-services
// starts them all; the Makefile exports the variables).
func server(b *testing.B, name, env string) *url.URL {
	b.Helper()
	raw := testserver.Resolve(b, testserver.Server{Name: name, Env: env})
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		b.Fatalf("%s %q: want SCHEME://USER:PASSWORD@HOST:PORT", env, raw)
	}
	return u
}

func localConfig(b *testing.B) spec.Config {
	return spec.Config{"path": b.TempDir()}
}

// s3Config makes a bucket of the benchmark's own, removed at the end.
func s3Config(b *testing.B) spec.Config {
	u := server(b, "S3", "DBKEEP_TEST_S3_URL")
	secret, _ := u.User.Password()
	admin, err := minio.New(u.Host, &minio.Options{
		Creds: credentials.NewStaticV4(u.User.Username(), secret, ""), Secure: u.Scheme == "https",
		Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		b.Fatal(err)
	}
	bucket := "dbkeep-bench-" + randomHex(6)
	if err := admin.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		b.Fatalf("make bucket %s: %v", bucket, err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for o := range admin.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				admin.RemoveObject(ctx, bucket, o.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := admin.RemoveBucket(ctx, bucket); err != nil {
			b.Logf("remove bucket %s: %v", bucket, err)
		}
	})
	return spec.Config{
		"provider": "other", "endpoint": u.Scheme + "://" + u.Host, "path-style": "true",
		"bucket": bucket, "access-key": u.User.Username(), "secret-key": secret,
	}
}

func sftpConfig(b *testing.B) spec.Config {
	u := server(b, "SFTP", "DBKEEP_TEST_SFTP_URL")
	pass, _ := u.User.Password()
	// Loopback only: learning the host key on first use is harmless here.
	return spec.Config{"host": u.Hostname(), "port": u.Port(), "user": u.User.Username(), "password": pass, "trust-on-first-use": "true"}
}

func ftpConfig(b *testing.B) spec.Config {
	u := server(b, "FTP", "DBKEEP_TEST_FTP_URL")
	pass, _ := u.User.Password()
	return spec.Config{"host": u.Hostname(), "port": u.Port(), "user": u.User.Username(), "password": pass, "tls": "none"}
}

func webdavConfig(b *testing.B) spec.Config {
	u := server(b, "WebDAV", "DBKEEP_TEST_WEBDAV_URL")
	pass, _ := u.User.Password()
	return spec.Config{"url": u.Scheme + "://" + u.Host, "user": u.User.Username(), "password": pass}
}

func smbConfig(b *testing.B) spec.Config {
	u := server(b, "SMB", "DBKEEP_TEST_SMB_URL")
	pass, _ := u.User.Password()
	return spec.Config{"host": u.Hostname(), "port": u.Port(), "share": strings.Trim(u.Path, "/"), "user": u.User.Username(), "password": pass}
}
